import { describe, expect, it } from 'vitest';
import { VERSION } from '@vblora/core';
describe('smoke', () => { it('resolves source', () => { expect(VERSION).toBe('0.1.0'); }); });
