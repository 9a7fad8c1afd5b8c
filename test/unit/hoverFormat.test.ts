import { describe, expect, it } from 'vitest';
import { markdownCode as codeSpan } from '../../src/core/displayText';
import { commandUri, formatStat, histogramSvg, poolBins, svgDataUri } from '../../src/views/hoverFormat';
import { expected } from './fixtureFiles';

describe('hover text and images', () => {
  it('prints statistics with 4 significant digits', () => {
    const s = expected.files['models/net.pt']!.tensors.find((t) => t.name === '2.bias')!.stats!;
    expect(formatStat(s.min)).toBe('-0.1021');
    expect(formatStat(null)).toBe('—');
    expect(formatStat(42)).toBe('42');
    expect(formatStat(1.5e-8)).toBe('1.5e-8');
    expect([formatStat(Number.NaN), formatStat(-Infinity)]).toEqual(['NaN', '-inf']);
  });

  it('pools 256 histc bins into 64 bars without losing counts', () => {
    const counts = expected.files['models/rgnet.pt']!.tensors.find((t) => t.name === '0.block 1.0.weight')!.stats!.histogram!.counts;
    const pooled = poolBins(counts, 64);
    expect(pooled).toHaveLength(64);
    expect(pooled.reduce((a, b) => a + b, 0)).toBe(counts.reduce((a, b) => a + b, 0));
    expect(pooled[0]).toBe(counts.slice(0, 4).reduce((a, b) => a + b, 0));
  });

  it('draws one bar per non-empty group in a self-contained SVG', () => {
    const counts = new Array(256).fill(0);
    counts[0] = 1000;
    counts[255] = 1;
    const svg = histogramSvg(counts);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).not.toMatch(/script|href|url\(/i);
    // The lone outlier still gets a visible pixel.
    expect(svg).toMatch(/height="1"\/>/);
    const uri = svgDataUri(svg);
    expect(uri.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(uri.split(',')[1]!, 'base64').toString('utf8')).toBe(svg);
  });

  it('keeps names with backticks inside code spans and encodes command arguments', () => {
    expect(codeSpan('net[2].bias')).toBe('`net[2].bias`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x')).toBe('`` `x ``');
    const uri = commandUri('paramscope.showParameter', { uri: 'file:///w/net.pt', name: '0.block 1.0.bias' });
    expect(JSON.parse(decodeURIComponent(uri.split('?')[1]!))).toEqual([{ uri: 'file:///w/net.pt', name: '0.block 1.0.bias' }]);
    // A hostile name cannot close the markdown link.
    const odd = commandUri('paramscope.showParameter', { name: 'a) [x](command:evil' });
    expect(odd).not.toMatch(/[ ()[\]]/);
    expect(JSON.parse(decodeURIComponent(odd.split('?')[1]!))).toEqual([{ name: 'a) [x](command:evil' }]);
  });
});
