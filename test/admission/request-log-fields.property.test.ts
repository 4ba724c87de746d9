import { fc, it } from '@fast-check/jest';
import { pinsLogMember } from '../../src/admission/request-log-fields.js';
import { logMember } from '../../src/observability/log.js';
import { pinnedImage, sha256Digest } from '../support/arbitraries.js';

describe('pins log member (generated)', () => {
  it.prop([
    fc.array(
      fc.record({
        image: fc.oneof(
          pinnedImage,
          pinnedImage.map((image) => image.slice(0, image.indexOf('@'))),
        ),
        digest: sha256Digest,
      }),
      { maxLength: 5 },
    ),
  ])('writes the pins exactly as logMember (JSON.stringify) does', (pins) => {
    expect(pinsLogMember(pins)).toBe(logMember('pins', pins.length === 0 ? undefined : pins));
  });
});
