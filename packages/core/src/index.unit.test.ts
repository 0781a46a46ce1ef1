import { describe, expect, it } from 'vitest';
import * as core from './index';

describe('@pulsestream/core entry', () => {
  it('re-exports the domain modules', () => {
    // Conflicting `export *` names are silently dropped at runtime, so check one name per module.
    expect(typeof core.DDSketch).toBe('function');
    expect(typeof core.RollingWindows).toBe('function');
    expect(typeof core.tryTake).toBe('function');
    expect(typeof core.uuidv7).toBe('function');
    expect(typeof core.gunzipBounded).toBe('function');
    expect(typeof core.validateEvents).toBe('function');
    expect(typeof core.renderPrometheus).toBe('function');
    expect(core.WINDOWS).toEqual(['1m', '5m', '15m', '1h']);
  });
});
