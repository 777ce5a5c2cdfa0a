// Loaded with `node --import` into a process whose clock should read differently from the test's:
// a gateway on another machine or in a VM whose clock is off. Shifts Date by CLOCK_SKEW_MS (both
// `Date.now()` and `new Date()`); performance.now() and timers are untouched.
const skew = Number(process.env.CLOCK_SKEW_MS ?? 0);
if (skew !== 0) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew);
      else super(...args);
    }
    static now() {
      return RealDate.now() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}
