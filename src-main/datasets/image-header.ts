/**
 * Reads what the decoder needs from the first bytes of common image files — format, size, bands, alpha, EXIF
 * orientation — without calling libvips, whose fixed cost per call is larger than decoding a small photo. Only
 * plain JPEGs and PNGs are described fully (`simple`); everything else is left to the full libvips path.
 */
export interface ImageHeader {
  format: 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heif';
  width: number;
  height: number;
  /** Colour bands without alpha: 1 (grey) or 3 (colour). */
  bands: number;
  hasAlpha: boolean;
  /** EXIF orientation, 1 when absent. */
  orientation: number;
  /** True when the header says everything the decoder needs (no ICC profile, CMYK or other surprises). */
  simple: boolean;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') return readPng(bytes, view);
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return readJpeg(bytes, view);
  const other = (format: ImageHeader['format'], width = 0, height = 0): ImageHeader => ({
    format,
    width,
    height,
    bands: 3,
    hasAlpha: false,
    orientation: 1,
    simple: false,
  });
  if (bytes.length >= 10 && ascii(bytes, 0, 4) === 'GIF8')
    return other('gif', view.getUint16(6, true), view.getUint16(8, true));
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return other('webp');
  if (bytes.length >= 4 && (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*')) return other('tiff');
  if (
    bytes.length >= 12 &&
    ascii(bytes, 4, 4) === 'ftyp' &&
    /^(avif|avis|heic|heix|mif1|msf1)$/.test(ascii(bytes, 8, 4))
  ) {
    return other('heif');
  }
  return null;
}

function readPng(bytes: Uint8Array, view: DataView): ImageHeader | null {
  if (ascii(bytes, 12, 4) !== 'IHDR') return null;
  const colourType = bytes[25];
  const header: ImageHeader = {
    format: 'png',
    width: view.getUint32(16),
    height: view.getUint32(20),
    bands: colourType === 0 || colourType === 4 ? 1 : 3,
    hasAlpha: colourType === 4 || colourType === 6,
    orientation: 1,
    simple: bytes[24] === 8,
  };
  // Chunks before the pixel data can add transparency, a colour profile or an orientation.
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, 4);
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'tRNS') header.hasAlpha = true;
    if (type === 'iCCP' || type === 'eXIf' || type === 'sRGB' || type === 'gAMA' || type === 'cHRM')
      header.simple = false;
    at += 12 + length;
  }
  return header;
}

function readJpeg(bytes: Uint8Array, view: DataView): ImageHeader | null {
  const header: ImageHeader = {
    format: 'jpeg',
    width: 0,
    height: 0,
    bands: 3,
    hasAlpha: false,
    orientation: 1,
    simple: true,
  };
  for (let at = 2; at + 4 <= bytes.length;) {
    if (bytes[at] !== 0xff) return header.width ? header : null;
    const marker = bytes[at + 1];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = view.getUint16(at + 2);
    const body = at + 4;
    if (marker === 0xe1 && ascii(bytes, body, 6) === 'Exif\0\0')
      header.orientation = exifOrientation(view, body + 6, length - 8);
    if (marker === 0xe2 && ascii(bytes, body, 11) === 'ICC_PROFILE') header.simple = false;
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC): the frame header with size and components.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (body + 6 > bytes.length) return null;
      header.height = view.getUint16(body + 1);
      header.width = view.getUint16(body + 3);
      const components = bytes[body + 5];
      header.bands = components === 1 ? 1 : 3;
      if (components !== 1 && components !== 3) header.simple = false; // CMYK / YCCK
      return header;
    }
    if (marker === 0xda) break; // start of scan without a frame header: not a JPEG we can describe
    at += 2 + length;
  }
  return null;
}

/** The orientation tag (0x0112) of IFD0 in an EXIF block; 1 when missing or unreadable. */
function exifOrientation(view: DataView, tiff: number, length: number): number {
  try {
    const little = view.getUint16(tiff) === 0x4949;
    const ifd = tiff + view.getUint32(tiff + 4, little);
    const entries = view.getUint16(ifd, little);
    for (let i = 0; i < entries; i++) {
      const entry = ifd + 2 + i * 12;
      if (entry + 12 > tiff + length) break;
      if (view.getUint16(entry, little) === 0x0112) {
        const value = view.getUint16(entry + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
  } catch {
    // A damaged EXIF block: decode without rotating, as most viewers do.
  }
  return 1;
}

/** No photo is this big; refusing larger files (before reading them) keeps memory bounded. */
export const maxFileBytes = 256 * 1024 * 1024;

/** Above this many pixels an image is shrunk by libvips while it is decoded, rather than decoded whole. */
export const largePhotoPixels = 400_000;

/**
 * True for the JPEGs the WebAssembly decoder takes: plain (no ICC profile, not CMYK), upright, small, and complete.
 * mozjpeg quietly fills in a file cut short, so a file that does not end with the EOI marker (or has bytes after
 * it) goes to libvips, which reports truncation.
 */
export function isPlainSmallJpeg(bytes: Uint8Array, header: ImageHeader | null): boolean {
  return (
    header !== null &&
    header.format === 'jpeg' &&
    header.simple &&
    header.orientation === 1 &&
    header.width * header.height < largePhotoPixels &&
    bytes.length > 4 &&
    bytes[bytes.length - 2] === 0xff &&
    bytes[bytes.length - 1] === 0xd9
  );
}
