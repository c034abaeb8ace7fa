// The lab's colour code. Clips are drawn with these colours and the lab detector is designed to
// recognise them, so the two must change together.

export const CLASS_IDS = { ball: 0, goalkeeper: 1, player: 2, referee: 3 } as const;
export type ClassName = keyof typeof CLASS_IDS;
export const CLASS_NAMES: readonly ClassName[] = ['ball', 'goalkeeper', 'player', 'referee'];

export type Rgb = readonly [number, number, number];

/** One colour an object can wear, and the class it stands for. */
export interface Kit {
  name: string;
  classId: number;
  rgb: Rgb;
}

// Hues far apart from each other and from the pitch, so compression noise and the pitch's texture
// never turn one into another. The ball is orange (a winter ball) so it is not mistaken for lines.
export const KITS: readonly Kit[] = [
  { name: 'team-a', classId: CLASS_IDS.player, rgb: [210, 35, 45] },
  { name: 'team-b', classId: CLASS_IDS.player, rgb: [35, 75, 215] },
  { name: 'keeper-a', classId: CLASS_IDS.goalkeeper, rgb: [240, 220, 40] },
  { name: 'keeper-b', classId: CLASS_IDS.goalkeeper, rgb: [40, 215, 225] },
  { name: 'referee', classId: CLASS_IDS.referee, rgb: [25, 25, 25] },
  { name: 'ball', classId: CLASS_IDS.ball, rgb: [255, 130, 0] },
];

export const PITCH = {
  grassLight: [52, 140, 56] as Rgb,
  grassDark: [40, 112, 44] as Rgb,
  line: [235, 235, 235] as Rgb,
  skin: [225, 180, 140] as Rgb,
};

/**
 * Object sizes in pixels of a 1280x720 frame (scaled with the frame for other sizes). Players stay
 * above the validator's 15x40 minimum; the ball is small so that it is the first thing a small
 * model input loses.
 */
export const SIZES_AT_720P = {
  player: { width: [20, 30], height: [48, 72] },
  ball: { diameter: [9, 13] },
} as const;
