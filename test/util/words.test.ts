import { expect } from '@open-wc/testing';
import { bytesInWords, countInWords, secondsInWords } from '../../src/util/words.ts';

describe('bytesInWords', () => {
  it('reads sizes in units of 1024, one decimal above bytes', () => {
    expect(bytesInWords(904)).to.equal('904 bytes');
    expect(bytesInWords(256 * 2 ** 20)).to.equal('256 MB');
    expect(bytesInWords(1.6 * 2 ** 30)).to.equal('1.6 GB');
    expect(bytesInWords(30_934)).to.equal('30.2 KB');
  });

  it('rounds a rate that is not whole (an upload of 904 bytes over 1.56 s read "578.7451984635084 B/s")', () => {
    expect(bytesInWords(904 / 1.562)).to.equal('579 bytes');
    expect(bytesInWords(1023.6)).to.equal('1024 bytes');
  });
});

describe('secondsInWords', () => {
  it('reads seconds, minutes and hours', () => {
    expect(secondsInWords(1.56)).to.equal('1.6 s');
    expect(secondsInWords(185)).to.equal('3 min 5 s');
    expect(secondsInWords(7800)).to.equal('2 h 10 min');
  });
});

describe('countInWords', () => {
  it("groups thousands as toLocaleString('en-US') does, for every size and sign of a count", () => {
    const counts = [0, 1, 12, 999, 1000, 4096, 12_345, 999_999, 1_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, -1000, -1_234_567];
    for (const n of counts) expect(countInWords(n)).to.equal(n.toLocaleString('en-US'), String(n));
  });

  it('rounds a count that is not whole, and leaves what is not a count as it is', () => {
    expect(countInWords(1234.6)).to.equal('1,235');
    expect(countInWords(-0.4)).to.equal('0');
    expect(countInWords(NaN)).to.equal('NaN');
    expect(countInWords(Infinity)).to.equal('Infinity');
    expect(countInWords(1e21)).to.equal('1e+21');
  });

  it('names what it counts, singular for one', () => {
    expect(countInWords(1, 'row')).to.equal('1 row');
    expect(countInWords(12_345, 'row')).to.equal('12,345 rows');
    expect(countInWords(0, 'entry', 'entries')).to.equal('0 entries');
  });
});
