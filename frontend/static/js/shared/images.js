// Photos are re-encoded in a canvas before they are encrypted: smaller for a slow connection, and
// without their hidden data (place, camera). Other files are stored as they are (asIs: true), and
// the pages say so.
const LONGEST_SIDE = 1600;
const JPEG_QUALITY = 0.85;

export async function reencode(file) {
  if (!file.type.startsWith('image/')) return { blob: file, name: file.name, type: file.type, asIs: true };
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
  return { blob, name: `${file.name.replace(/\.[^.]*$/, '')}.jpg`, type: 'image/jpeg', asIs: false };
}
