import { expect } from '@open-wc/testing';
import { bytesInWords, secondsInWords } from '../../src/util/words.ts';

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
