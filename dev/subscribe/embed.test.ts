import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { embeddedAssets } from "../../api/subscribe/assets.generated.ts";
import { generatedPath, renderAssetsModule } from "./embed.ts";
import { iconPng } from "./icons.ts";

describe("the embedded subscriber page", () => {
  it("is up to date with api/subscribe/static (run `npm run subscribe:embed`)", () => {
    expect(readFileSync(generatedPath, "utf8")).toBe(renderAssetsModule());
  }, 30_000);

  it("has no inline script, inline style or event-handler attribute (the CSP allows none)", () => {
    const html = embeddedAssets["index.html"]?.text as string;
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="/);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\s(on[a-z]+|style)=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("lists icons in the manifest that the page serves", () => {
    const manifest = JSON.parse(embeddedAssets["manifest.webmanifest"]?.text as string) as {
      icons: { src: string; sizes: string; type: string }[];
    };
    for (const icon of manifest.icons) {
      const asset = embeddedAssets[icon.src];
      expect(asset?.type, icon.src).toBe(icon.type);
      if (icon.type === "image/png") {
        const png = Buffer.from(asset?.base64 as string, "base64");
        const size = Number(icon.sizes.split("x")[0]);
        expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
      }
    }
  });

  it("draws PNGs whose pixels are the icon's colours", () => {
    const png = iconPng(64, { radius: 14, boltScale: 1 });
    const idat = png.indexOf("IDAT");
    const rows = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    const pixel = (x: number, y: number) => [
      ...rows.subarray(y * (64 * 4 + 1) + 1 + x * 4, y * (64 * 4 + 1) + 1 + x * 4 + 4),
    ];
    expect(pixel(0, 0)[3]).toBe(0); // outside the rounded corner
    expect(pixel(5, 32)).toEqual([0x0b, 0x3d, 0x2e, 255]); // background
    expect(pixel(30, 30)).toEqual([0xf5, 0xc5, 0x18, 255]); // inside the bolt
  });
});
