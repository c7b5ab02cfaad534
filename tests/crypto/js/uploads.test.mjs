// What an attachment item's envelope holds: her title next to the file's signed metadata, and
// items from before the title was kept (the AttachmentMeta bytes themselves) still open.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import { fileContent, readFileContent } from '../../../frontend/static/js/portfolio/uploads.js';

const meta = {
  fileName: 'photo.jpg',
  mediaType: 'image/jpeg',
  size: 123456,
  streamSalt: new Uint8Array(16).fill(7),
};

test('the title she typed travels with the file metadata', () => {
  const read = readFileContent(fileContent({ title: 'Mijn zoon op zijn verjaardag', meta: lib.encodeAttachmentMeta(meta) }));
  assert.equal(read.title, 'Mijn zoon op zijn verjaardag');
  assert.equal(read.meta.fileName, 'photo.jpg');
  assert.equal(read.meta.size, 123456);
  assert.deepEqual(Array.from(read.meta.streamSalt), Array.from(meta.streamSalt));
});

test('an item from before titles were kept opens with the file name only', () => {
  const read = readFileContent(lib.encodeAttachmentMeta(meta));
  assert.equal(read.title, '');
  assert.equal(read.meta.fileName, 'photo.jpg');
});

test('anything else is refused, never read as a file', () => {
  const encoder = new TextEncoder();
  assert.throws(() => readFileContent(encoder.encode('{"v":1,"title":"x"}')));
  assert.throws(() => readFileContent(encoder.encode('{"v":2,"title":"x","file":""}')));
  assert.throws(() => readFileContent(encoder.encode('not json')));
  const cut = lib.encodeAttachmentMeta(meta).slice(0, -1);
  assert.throws(() => readFileContent(cut));
});
