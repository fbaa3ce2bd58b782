import { describe, it, expect } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { M } from '../../src/smoke.js';

describe('stack', () => {
  it('boots nest + typeorm', async () => {
    const mod = await Test.createTestingModule({ imports: [TypeOrmModule.forRoot({ type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/postgres' }), M] }).compile();
    const app = mod.createNestApplication();
    await app.listen(0);
    const url = await app.getUrl();
    const r = await fetch(url + '/x');
    expect(await r.json()).toEqual({ one: 1 });
    await app.close();
  });
});
