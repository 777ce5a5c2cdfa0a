import { chunkText } from '../main/imessage/chunking';
for (const n of [1000, 4000, 16000]) {
const t0=performance.now(); const text = 'lorem ipsum dolor sit amet 😀 '.repeat(n); const c = chunkText(text,{limit:4000}); console.log(n, c.length, performance.now()-t0);
const t1=performance.now(); const s = new Intl.Segmenter(undefined,{granularity:'grapheme'}); let k=0; for (const x of s.segment(text)) k++; console.log('seg', performance.now()-t1);
}
