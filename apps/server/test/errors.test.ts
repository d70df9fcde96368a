/**
 * Typed error answers: `{ error: { code, message } }` with a stable code for each kind of bad request.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../src/index.js';
import { FIXTURE_ADAPTERS, PRESENT, tempDir } from './helpers/fixture.js';
import { sampleSum } from './helpers/prometheus.js';
import { metrics, testServer } from './helpers/server.js';

describe.runIf(PRESENT)('error answers', () => {
  let app: FastifyInstance;
  const adapters = PRESENT ? tempDir('adapters') : '';

  beforeAll(async () => {
    cpSync(join(FIXTURE_ADAPTERS, 'vblora-a'), join(adapters, 'vblora-a'), { recursive: true });
    // an adapter folder whose weights are not safetensors
    mkdirSync(join(adapters, 'broken'));
    cpSync(join(FIXTURE_ADAPTERS, 'vblora-a', 'adapter_config.json'), join(adapters, 'broken', 'adapter_config.json'));
    writeFileSync(join(adapters, 'broken', 'adapter_model.safetensors'), 'not a safetensors file');
    // and one whose config is not JSON: the server still starts (templates chosen from the others)
    mkdirSync(join(adapters, 'no-json'));
    writeFileSync(join(adapters, 'no-json', 'adapter_config.json'), '{ not json');
    writeFileSync(join(adapters, 'no-json', 'adapter_model.safetensors'), '');
    app = await testServer({ adaptersDir: adapters, bodyLimit: 2048 });
  });

  const post = async (payload: string, contentType = 'application/json'): Promise<[number, ErrorBody]> => {
    const r = await app.inject({ method: 'POST', url: '/generate', payload, headers: { 'content-type': contentType } });
    return [r.statusCode, r.json<ErrorBody>()];
  };
  const json = (v: unknown): string => JSON.stringify(v);

  it('an unknown adapter: 404 unknown_adapter', async () => {
    const [status, body] = await post(json({ adapter_id: 'nope', prompt: 'the dog' }));
    expect(status).toBe(404);
    expect(body.error.code).toBe('unknown_adapter');
    expect(body.error.message).toMatch(/"nope"/);
  });

  it('an id that is not a folder name: 400 invalid_adapter_id', async () => {
    for (const id of ['../vblora-a', '.', '', 'a/b', 'x'.repeat(129), '-lead']) {
      const [status, body] = await post(json({ adapter_id: id, prompt: 'the dog' }));
      expect([status, body.error.code], JSON.stringify(id)).toEqual([400, 'invalid_adapter_id']);
    }
  });

  it('bad bodies: 400 bad_request naming the field', async () => {
    const cases: [string, RegExp][] = [
      [json({ adapter_id: 'vblora-a' }), /prompt/],
      [json({ adapter_id: 5, prompt: 'the dog' }), /adapter_id/],
      [json({ prompt: 'the dog' }), /adapter_id/],
      [json({ adapter_id: null, prompt: '' }), /prompt/],
      [json({ adapter_id: null, prompt: 7 }), /prompt/],
      [json({ adapter_id: null, prompt: 'the dog', max_new_tokens: 0 }), /max_new_tokens/],
      [json({ adapter_id: null, prompt: 'the dog', max_new_tokens: 1.5 }), /max_new_tokens/],
      [json({ adapter_id: null, prompt: 'the dog', max_new_tokens: '4' }), /max_new_tokens/],
      [json({ adapter_id: null, prompt: 'the dog', max_new_tokens: 100_000 }), /max_new_tokens/],
      [json({ adapter_id: null, prompt: 'the dog', temperature: 1 }), /additional/],
      [json(['the dog']), /object/],
      ['{"adapter_id": null, "prompt": ', /JSON/i],
    ];
    for (const [payload, field] of cases) {
      const [status, body] = await post(payload);
      expect([status, body.error.code], payload).toEqual([400, 'bad_request']);
      expect(body.error.message, payload).toMatch(field);
    }
    const [status, body] = await post('adapter_id=x', 'application/x-www-form-urlencoded');
    expect([status, body.error.code]).toEqual([415, 'bad_request']);
  });

  it('too large: 413 payload_too_large (body) and prompt_too_long (characters, tokens)', async () => {
    const [s1, b1] = await post(json({ adapter_id: null, prompt: 'the dog '.repeat(400) }));
    expect([s1, b1.error.code]).toEqual([413, 'payload_too_large']);
    const long = await testServer({ maxPromptChars: 20, templateAdapters: ['vblora-a'], adaptersDir: adapters });
    const r = await long.inject({
      method: 'POST',
      url: '/generate',
      payload: { adapter_id: null, prompt: 'the dog saw a grey wind near' },
    });
    expect([r.statusCode, r.json<ErrorBody>().error.code]).toEqual([413, 'prompt_too_long']);
    await long.close();
    // the fixture has 128 positions: 120 words and 20 new tokens do not fit
    const [s2, b2] = await post(json({ adapter_id: null, prompt: 'dog '.repeat(120), max_new_tokens: 20 }));
    expect([s2, b2.error.code]).toEqual([413, 'prompt_too_long']);
    expect(b2.error.message).toMatch(/128 positions/);
  });

  it('an adapter folder that cannot be read: 422 adapter_invalid, without the server path', async () => {
    for (const id of ['broken', 'no-json']) {
      const [status, body] = await post(json({ adapter_id: id, prompt: 'the dog' }));
      expect([status, body.error.code], id).toEqual([422, 'adapter_invalid']);
      expect(body.error.message, id).not.toContain(adapters);
    }
    expect(app.vblora.templates).toEqual(['vblora-a']);
    // the server still serves the others
    const ok = await app.inject({
      method: 'POST',
      url: '/generate',
      payload: { adapter_id: 'vblora-a', prompt: 'the dog' },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('an unknown route: 404 not_found; /healthz answers', async () => {
    const r = await app.inject({ method: 'GET', url: '/nope' });
    expect([r.statusCode, r.json<ErrorBody>().error.code]).toEqual([404, 'not_found']);
    const h = await app.inject({ method: 'GET', url: '/healthz' });
    expect([h.statusCode, h.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('/metrics counts the answers by status', async () => {
    const m = await metrics(app);
    expect(sampleSum(m, 'vblora_request_duration_seconds_count', { route: '/generate', status: '404' })).toBe(1);
    expect(sampleSum(m, 'vblora_request_duration_seconds_count', { route: '/generate', status: '400' })).toBe(18);
    expect(sampleSum(m, 'vblora_request_duration_seconds_count', { route: '/generate', status: '415' })).toBe(1);
    expect(sampleSum(m, 'vblora_request_duration_seconds_count', { route: '/generate', status: '422' })).toBe(2);
    expect(sampleSum(m, 'vblora_requests_in_flight')).toBe(1); // this /metrics request
  });
});
