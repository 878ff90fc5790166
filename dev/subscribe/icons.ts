/**
 * The subscriber page's PNG icons, drawn from the same shapes as `api/subscribe/static/icon.svg` (a
 * rounded square and a lightning bolt on a 64-unit grid) with 4x4 supersampling, and encoded as PNG
 * (RGBA, deflate) with node:zlib: phones need PNGs (iOS home-screen icons, Android's manifest icons).
 */
import { crc32, deflateSync } from "node:zlib";

type Rgba = [number, number, number, number];
type Point = [number, number];

const background: Rgba = [0x0b, 0x3d, 0x2e, 255];
const bolt: Rgba = [0xf5, 0xc5, 0x18, 255];
const white: Rgba = [255, 255, 255, 255];
/** The SVG path `M36 6 14 36h14l-4 22 26-32H35z`. */
const boltShape: Point[] = [
  [36, 6],
  [14, 36],
  [28, 36],
  [24, 58],
  [50, 26],
  [35, 26],
];

function inPolygon([x, y]: Point, polygon: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inRoundedSquare([x, y]: Point, radius: number): boolean {
  if (x < 0 || y < 0 || x > 64 || y > 64) return false;
  const cx = Math.min(Math.max(x, radius), 64 - radius);
  const cy = Math.min(Math.max(y, radius), 64 - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

export interface IconStyle {
  /** Corner radius on the 64 grid (0: full square, for maskable and iOS icons). */
  radius: number;
  /** Bolt scale around the centre (maskable icons keep it inside the safe zone). */
  boltScale: number;
  /** Only the bolt, white on transparent (a notification badge is an alpha mask). */
  badge?: boolean;
}

/** The icon at `size` pixels as RGBA rows. */
function draw(size: number, style: IconStyle): Uint8Array {
  const samples = 4;
  const pixels = new Uint8Array(size * size * 4);
  const shape = boltShape.map(
    ([x, y]): Point => [32 + (x - 32) * style.boltScale, 32 + (y - 32) * style.boltScale],
  );
  const colorAt = (p: Point): Rgba | undefined =>
    inPolygon(p, shape)
      ? style.badge
        ? white
        : bolt
      : !style.badge && inRoundedSquare(p, style.radius)
        ? background
        : undefined;
  const grid = (v: number) => (v * 64) / size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const at = (py * size + px) * 4;
      // A pixel whose corners agree lies inside one shape (none is thinner than a pixel): one colour.
      const corners = [
        colorAt([grid(px), grid(py)]),
        colorAt([grid(px + 1), grid(py)]),
        colorAt([grid(px), grid(py + 1)]),
        colorAt([grid(px + 1), grid(py + 1)]),
      ];
      if (corners.every((c) => c === corners[0])) {
        if (corners[0]) pixels.set(corners[0], at);
        continue;
      }
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const color = colorAt([grid(px + (sx + 0.5) / samples), grid(py + (sy + 0.5) / samples)]);
          if (!color) continue;
          // Premultiplied, so edges blend towards transparency, not towards black.
          for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (color[c] as number) * 255;
          sum[3] = (sum[3] as number) + 255;
        }
      }
      const n = samples * samples;
      const alpha = (sum[3] as number) / n;
      for (let c = 0; c < 3; c++)
        pixels[at + c] = alpha === 0 ? 0 : Math.round((sum[c] as number) / n / alpha);
      pixels[at + 3] = Math.round(alpha);
    }
  }
  return pixels;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG (RGBA, 8 bits per channel) of the icon at `size` pixels. */
export function iconPng(size: number, style: IconStyle): Buffer {
  const pixels = draw(size, style);
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    rows.set(pixels.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** The PNG files the page serves, by name. */
export const pngIcons: Record<string, { size: number; style: IconStyle }> = {
  "icon-192.png": { size: 192, style: { radius: 14, boltScale: 1 } },
  "icon-512.png": { size: 512, style: { radius: 14, boltScale: 1 } },
  "icon-maskable-512.png": { size: 512, style: { radius: 0, boltScale: 0.75 } },
  "apple-touch-icon.png": { size: 180, style: { radius: 0, boltScale: 0.85 } },
  "badge.png": { size: 96, style: { radius: 0, boltScale: 1.1, badge: true } },
};
