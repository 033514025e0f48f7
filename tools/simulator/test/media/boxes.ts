/** A strict ISO BMFF box parser for the tests: every size must add up exactly to its parent. */
export interface ParsedBox {
  type: string;
  start: number;
  size: number;
  headerSize: number;
  payload: Buffer;
  children: ParsedBox[];
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "dinf", "stbl", "udta"]);

export const parseBoxes = (data: Buffer, offset = 0, end = data.length): ParsedBox[] => {
  const boxes: ParsedBox[] = [];
  let at = offset;
  while (at < end) {
    if (end - at < 8) throw new Error(`${end - at} stray bytes at ${at}`);
    let size = data.readUInt32BE(at);
    const type = data.toString("latin1", at + 4, at + 8);
    let headerSize = 8;
    if (size === 1) {
      size = Number(data.readBigUInt64BE(at + 8));
      headerSize = 16;
    }
    if (size < headerSize || at + size > end)
      throw new Error(`box ${type} at ${at} has size ${size}, past its parent's end ${end}`);
    const payload = data.subarray(at + headerSize, at + size);
    const children = CONTAINERS.has(type) ? parseBoxes(data, at + headerSize, at + size) : [];
    boxes.push({ type, start: at, size, headerSize, payload, children });
    at += size;
  }
  return boxes;
};

/** The box at a path such as `moov/trak/mdia/minf/stbl/stco`. */
export const boxAt = (boxes: ParsedBox[], path: string): ParsedBox => {
  let found: ParsedBox | undefined;
  let level = boxes;
  for (const type of path.split("/")) {
    found = level.find((box) => box.type === type);
    if (!found) throw new Error(`no ${type} in ${path}`);
    level = found.children;
  }
  return found!;
};
