import { Injectable } from '@nestjs/common';

/** Time, behind an adapter so rules that depend on it can be tested at any instant. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
  epochSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }
}
