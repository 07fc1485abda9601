import sharp from 'sharp';
import { Rng } from './random.js';
import type { GenImage } from './scene.js';

/** Fill of each big cat: a pattern that a chip of it shows at a glance (stripes, spots, rosettes). */
const PATTERNS: Record<string, (id: string) => string> = {
  '/m/07dm6': (id) => `<pattern id="${id}" width="14" height="14" patternUnits="userSpaceOnUse" patternTransform="rotate(30)"><rect width="14" height="14" fill="#e8831f"/><rect width="5" height="14" fill="#1b1b1b"/></pattern>`,
  '/m/096mb': (id) => `<pattern id="${id}" width="20" height="20" patternUnits="userSpaceOnUse"><rect width="20" height="20" fill="#c9a25a"/><circle cx="10" cy="10" r="3" fill="#b98d45"/></pattern>`,
  '/m/0cd4d': (id) => `<pattern id="${id}" width="9" height="9" patternUnits="userSpaceOnUse"><rect width="9" height="9" fill="#e6c068"/><circle cx="4" cy="4" r="1.8" fill="#111"/></pattern>`,
  '/m/0c29q': (id) => `<pattern id="${id}" width="16" height="16" patternUnits="userSpaceOnUse"><rect width="16" height="16" fill="#dfa84a"/><circle cx="8" cy="8" r="4" fill="none" stroke="#222" stroke-width="2"/></pattern>`,
  '/m/0449p': (id) => `<pattern id="${id}" width="22" height="22" patternUnits="userSpaceOnUse"><rect width="22" height="22" fill="#c07a2c"/><circle cx="11" cy="11" r="6" fill="#6b3b12" stroke="#111" stroke-width="2.5"/></pattern>`,
  '/m/04g2r': (id) => `<pattern id="${id}" width="12" height="12" patternUnits="userSpaceOnUse"><rect width="12" height="12" fill="#a39a8c"/><rect x="3" y="3" width="2" height="4" fill="#4a4038"/></pattern>`,
};

/** An SVG of the upright scene: sky, ground, every object filled inside its box. */
export function sceneSvg(img: GenImage, seed: number): { svg: string; width: number; height: number } {
  const turned = img.rotation === 90 || img.rotation === 270;
  const width = turned ? img.height : img.width;
  const height = turned ? img.width : img.height;
  const rng = new Rng(seed ^ parseInt(img.ImageID.slice(0, 8), 16));
  const hue = rng.int(0, 359);
  const defs: string[] = [
    `<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl(${hue},55%,78%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},35%,55%)"/></linearGradient>`,
  ];
  const shapes: string[] = [
    `<rect width="${width}" height="${height}" fill="url(#sky)"/>`,
    `<rect y="${Math.round(height * 0.62)}" width="${width}" height="${height}" fill="hsl(${(hue + 90) % 360},30%,38%)"/>`,
  ];
  img.objects.forEach((o, i) => {
    const x = o.upright.XMin * width;
    const y = o.upright.YMin * height;
    const w = (o.upright.XMax - o.upright.XMin) * width;
    const h = (o.upright.YMax - o.upright.YMin) * height;
    const pattern = PATTERNS[o.LabelName];
    let fill: string;
    if (pattern) {
      defs.push(pattern(`p${i}`));
      fill = `url(#p${i})`;
    } else fill = `hsl(${(parseInt(o.LabelName.replace(/\W/g, ''), 36) * 47) % 360},45%,45%)`;
    // Body as an ellipse, head as a circle on the upper side: "up" is visible in chips.
    shapes.push(`<ellipse cx="${x + w / 2}" cy="${y + h * 0.6}" rx="${w / 2}" ry="${h * 0.4}" fill="${fill}"/>`);
    shapes.push(`<circle cx="${x + w / 2}" cy="${y + h * 0.22}" r="${Math.min(w, h) * 0.22}" fill="${fill}" stroke="#222" stroke-width="1"/>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs>${defs.join('')}</defs>${shapes.join('')}</svg>`;
  return { svg, width, height };
}

/** Draw the upright scene and store it turned clockwise by Rotation (the OID convention: turn it back CCW to view). */
export async function drawImage(img: GenImage, seed: number, quality = 82): Promise<Buffer> {
  const { svg } = sceneSvg(img, seed);
  let pipeline = sharp(Buffer.from(svg));
  if (img.rotation) pipeline = sharp(await pipeline.png().toBuffer()).rotate(img.rotation);
  return pipeline.jpeg({ quality, mozjpeg: false }).toBuffer();
}
