import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class Svc { constructor(private readonly ds: DataSource) {} async now() { return (await this.ds.query('select 1 as one'))[0]; } }
@Controller() export class C { constructor(private readonly s: Svc) {} @Get('x') x() { return this.s.now(); } }
@Module({ controllers: [C], providers: [Svc] }) export class M {}
