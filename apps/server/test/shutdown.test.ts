/**
 * Graceful shutdown: once `close()` starts (or SIGTERM arrives), new requests get 503 `shutting_down`; every
 * request already taken is answered, with its right tokens, before `close()` settles.
 *
 * Accuracy: token ids exact.
 */
import { describe, expect, it } from 'vitest';
import { listenUntilSignal, type ErrorBody, type GenerateReply } from '../src/index.js';
import { PRESENT, readGenerations } from './helpers/fixture.js';
import { sampleSum } from './helpers/prometheus.js';
import { generate, metrics, testServer } from './helpers/server.js';

const gen = PRESENT ? readGenerations() : undefined;

describe.runIf(PRESENT)('graceful shutdown', () => {
  it('over HTTP: requests in flight are answered, later ones get 503, close() settles after them', async () => {
    // a long batching window keeps the first requests queued while close() starts
    const app = await testServer({ batchWindowMs: 300 });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const prompt = gen!.prompts.single[0]!;
    const inFlight = ['vblora-a', 'vblora-b', null].map(async (id) => {
      const r = await fetch(`${address}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ adapter_id: id, prompt, max_new_tokens: gen!.max_new_tokens }),
      });
      return [r.status, (await r.json()) as GenerateReply] as const;
    });
    // wait until the three are taken (queued for their batch)
    let taken = false;
    for (let t = 0; t < 100 && !taken; t++) {
      const m = await app.inject({ method: 'GET', url: '/metrics' });
      taken = /^vblora_requests_in_flight 4$/m.test(m.body); // the three and this one
      if (!taken) await new Promise((r) => setTimeout(r, 10));
    }
    expect(taken).toBe(true);
    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    // a request once closing has begun: 503 with the typed body
    let late = await app.inject({ method: 'POST', url: '/generate', payload: { adapter_id: null, prompt } });
    for (let t = 0; t < 50 && late.statusCode !== 503; t++) {
      await new Promise((r) => setTimeout(r, 5));
      late = await app.inject({ method: 'POST', url: '/generate', payload: { adapter_id: null, prompt } });
    }
    expect(late.statusCode).toBe(503);
    expect(late.json<ErrorBody>().error.code).toBe('shutting_down');
    expect(closed).toBe(false);
    // a request dropped by the shutdown would reject here (connection closed) or answer 503
    const results = await Promise.all(inFlight);
    await closing;
    expect(app.server.listening).toBe(false);
    const runs = ['fp32.vblora-a', 'fp32.vblora-b', 'fp32.base'];
    results.forEach(([status, body], i) => {
      expect(status).toBe(200);
      expect(body.tokens).toEqual(gen!.runs[runs[i]!]!.single.new_token_ids[0]);
    });
  });

  it('SIGTERM closes the server after answering what it took', async () => {
    const app = await testServer({ batchWindowMs: 100 });
    const { address, closed } = await listenUntilSignal(app, '127.0.0.1', 0);
    const prompt = gen!.prompts.single[0]!;
    const pending = fetch(`${address}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ adapter_id: 'vblora-a', prompt, max_new_tokens: 4 }),
    });
    await new Promise((r) => setTimeout(r, 30));
    process.emit('SIGTERM', 'SIGTERM'); // the listener only: the test process itself is not signalled
    const r = await pending;
    expect(r.status).toBe(200);
    expect(((await r.json()) as GenerateReply).tokens).toEqual(
      gen!.runs['fp32.vblora-a']!.single.new_token_ids[0]!.slice(0, 4),
    );
    expect(await closed).toBe('SIGTERM');
    expect(app.server.listening).toBe(false);
  });
});

describe.runIf(PRESENT)('a client that goes away', () => {
  it('leaves the in-flight gauge once; the server keeps answering others', async () => {
    const app = await testServer({ batchWindowMs: 200 });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const gauge = async (): Promise<number> => sampleSum(await metrics(app), 'vblora_requests_in_flight');
    const abort = new AbortController();
    const gone = fetch(`${address}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ adapter_id: 'vblora-a', prompt: gen!.prompts.single[0]!, max_new_tokens: 4 }),
      signal: abort.signal,
    }).catch((err: unknown) => err);
    let seen = 0;
    for (let t = 0; t < 100 && seen < 2; t++) {
      seen = await gauge(); // the request and this /metrics call
      if (seen < 2) await new Promise((r) => setTimeout(r, 5));
    }
    expect(seen).toBe(2);
    abort.abort();
    expect(await gone).toBeInstanceOf(Error);
    // the batch still runs (the request was taken); afterwards only the /metrics call itself is in flight
    const r = await generate(app, { adapter_id: 'vblora-b', prompt: 'the dog', max_new_tokens: 2 });
    expect(r.status).toBe(200);
    // polls for up to 10 s: on a loaded machine the aborted request's reply can be written well after this one's
    for (let t = 0; t < 1000 && (await gauge()) !== 1; t++) await new Promise((res) => setTimeout(res, 10));
    expect(await gauge()).toBe(1);
    await app.close();
  });
});
