/**
 * Test-only: the error a call throws, checked for class and exact message.
 */
import { expect } from 'vitest';

/** Runs `fn`, expects it to throw an instance of `cls` whose message is exactly `message`; returns the error. */
export function expectThrows<E extends Error>(fn: () => unknown, cls: new (...args: never[]) => E, message: string): E {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(cls);
  expect((error as Error).message).toBe(message);
  return error as E;
}
