import fc from 'fast-check';
import { chunkText } from '/work/main/main/imessage/chunking';
const piece = fc.constantFrom('a', 'word', ' ', '  ', '\n', '\n\n', '\n  \n', '\t', '(', ')', '```', '😀', '👨‍👩‍👧', 'e\u0301', '\r\n', 'x'.repeat(30), '  indented');
let n = 0;
fc.assert(fc.property(fc.array(piece, {maxLength: 80}).map(p=>p.join('')), fc.integer({min:1,max:60}), fc.constantFrom('length','newline'), (t, l, m) => { n++; if (n % 500 === 0) console.log(n); chunkText(t, {limit: l, mode: m as any}); }), {numRuns: 3000});
console.log('ok');
const t0=performance.now(); const text = 'lorem ipsum dolor sit amet 😀 '.repeat(40_000); const c = chunkText(text,{limit:4000}); console.log(c.length, performance.now()-t0);
