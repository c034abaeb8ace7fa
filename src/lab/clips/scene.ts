// The match simulation, in pitch metres: two teams in a 4-4-2 that shifts with the ball, keepers
// guarding their goals, referees following play, and a ball that is dribbled and passed between
// players. Everyone moves with inertia (velocity eases toward a desired velocity), so motion is
// smooth from frame to frame; overlaps happen naturally around the ball.

import { KITS, type Kit } from '../scene/palette.js';
import type { Rng } from '../../util/prng.js';
import { PITCH_LENGTH_M, PITCH_WIDTH_M } from './world.js';

export interface Actor {
  kit: Kit;
  team: 'a' | 'b' | 'referee';
  role: 'outfield' | 'keeper' | 'referee' | 'assistant';
  x: number;
  y: number;
  vx: number;
  vy: number;
  homeX: number;
  homeY: number;
  maxSpeed: number;
  /** 0..1: this person's build, fixed for the clip (mixed with depth to size the box). */
  build: number;
  wanderPhase: number;
  wanderRate: number;
}

export interface Ball {
  x: number;
  y: number;
  /** Index of the actor at whose feet the ball is, or -1 while it travels. */
  owner: number;
  receiver: number;
  speed: number;
  holdUntil: number;
}

export interface Scene {
  actors: Actor[];
  ball: Ball;
  time: number;
}

const kit = (name: string): Kit => KITS.find((k) => k.name === name)!;

// Home positions of a team defending the left goal (x from its own goal line, y across the pitch).
const FORMATION: readonly (readonly [number, number])[] = [
  [18, 10], [16, 26], [16, 42], [18, 58],
  [36, 8], [34, 26], [34, 42], [36, 60],
  [50, 24], [50, 44],
];

export function createScene(rng: Rng): Scene {
  const actors: Actor[] = [];
  const person = (k: Kit, team: Actor['team'], role: Actor['role'], homeX: number, homeY: number): Actor => ({
    kit: k,
    team,
    role,
    x: homeX + rng.range(-2, 2),
    y: homeY + rng.range(-2, 2),
    vx: 0,
    vy: 0,
    homeX,
    homeY,
    maxSpeed: rng.range(4.5, 7),
    build: rng.next(),
    wanderPhase: rng.range(0, Math.PI * 2),
    wanderRate: rng.range(0.2, 0.6),
  });
  for (const [hx, hy] of FORMATION) actors.push(person(kit('team-a'), 'a', 'outfield', hx, hy));
  for (const [hx, hy] of FORMATION) actors.push(person(kit('team-b'), 'b', 'outfield', PITCH_LENGTH_M - hx, PITCH_WIDTH_M - hy));
  actors.push(person(kit('keeper-a'), 'a', 'keeper', 2.5, PITCH_WIDTH_M / 2));
  actors.push(person(kit('keeper-b'), 'b', 'keeper', PITCH_LENGTH_M - 2.5, PITCH_WIDTH_M / 2));
  const referees = rng.int(1, 3);
  actors.push(person(kit('referee'), 'referee', 'referee', PITCH_LENGTH_M / 2 - 6, PITCH_WIDTH_M / 2 + 8));
  // Assistant referees run along a touchline: the far one first, then the near one.
  if (referees >= 2) actors.push(person(kit('referee'), 'referee', 'assistant', 70, -1.2));
  if (referees >= 3) actors.push(person(kit('referee'), 'referee', 'assistant', 35, PITCH_WIDTH_M + 1.2));

  const owner = rng.int(0, 19);
  const ball: Ball = { x: actors[owner]!.x, y: actors[owner]!.y, owner, receiver: -1, speed: 0, holdUntil: rng.range(0.5, 2) };
  return { actors, ball, time: 0 };
}

/** Advances the scene by dt seconds. */
export function stepScene(scene: Scene, dt: number, rng: Rng): void {
  const { actors, ball } = scene;
  scene.time += dt;
  const possession = ball.owner >= 0 ? actors[ball.owner]!.team : ball.receiver >= 0 ? actors[ball.receiver]!.team : 'referee';
  const chasers = new Set<number>();
  for (const team of ['a', 'b'] as const) {
    if (team === possession) continue;
    const nearest = nearestOutfield(actors, team, ball.x, ball.y);
    if (nearest >= 0) chasers.add(nearest);
  }

  actors.forEach((actor, i) => {
    let [tx, ty] = target(actor, scene);
    let speedCap = actor.maxSpeed;
    if (i === ball.receiver || chasers.has(i)) {
      tx = ball.x;
      ty = ball.y;
      speedCap = actor.maxSpeed * 1.15;
    } else if (i === ball.owner) {
      const attack = actor.team === 'a' ? 1 : -1;
      tx = actor.x + attack * 8;
      ty = actor.y + Math.sin(scene.time * 0.7 + actor.wanderPhase) * 4;
      speedCap = actor.maxSpeed * 0.75;
    }
    moveToward(actor, tx, ty, speedCap, dt);
  });

  moveBall(scene, dt, rng);
}

function target(actor: Actor, scene: Scene): [number, number] {
  const { ball, time } = scene;
  const wanderX = Math.sin(time * actor.wanderRate + actor.wanderPhase) * 3;
  const wanderY = Math.cos(time * actor.wanderRate * 0.8 + actor.wanderPhase) * 3;
  switch (actor.role) {
    case 'keeper': {
      const y = PITCH_WIDTH_M / 2 + (ball.y - PITCH_WIDTH_M / 2) * 0.2;
      const pull = actor.team === 'a' ? Math.max(0, 40 - ball.x) : Math.max(0, ball.x - 65);
      const out = Math.min(6, pull * 0.12);
      return [actor.team === 'a' ? actor.homeX + out : actor.homeX - out, y + wanderY * 0.3];
    }
    case 'referee':
      return [ball.x - 7 + wanderX, clamp(ball.y + 9 + wanderY, 3, PITCH_WIDTH_M - 3)];
    case 'assistant':
      return [clamp(ball.x + (actor.homeY < 0 ? 12 : -12), 8, PITCH_LENGTH_M - 8), actor.homeY];
    default: {
      const shiftX = (ball.x - PITCH_LENGTH_M / 2) * 0.55;
      const shiftY = (ball.y - PITCH_WIDTH_M / 2) * 0.3;
      return [
        clamp(actor.homeX + shiftX + wanderX, 1, PITCH_LENGTH_M - 1),
        clamp(actor.homeY + shiftY + wanderY, 1, PITCH_WIDTH_M - 1),
      ];
    }
  }
}

// Inertia: velocity eases toward the desired one, so nobody turns or stops in a single frame.
function moveToward(actor: Actor, tx: number, ty: number, speedCap: number, dt: number): void {
  let dvx = (tx - actor.x) * 0.9;
  let dvy = (ty - actor.y) * 0.9;
  const speed = Math.hypot(dvx, dvy);
  if (speed > speedCap) {
    dvx *= speedCap / speed;
    dvy *= speedCap / speed;
  }
  const ease = 1 - Math.exp(-dt * 2.5);
  actor.vx += (dvx - actor.vx) * ease;
  actor.vy += (dvy - actor.vy) * ease;
  actor.x += actor.vx * dt;
  actor.y += actor.vy * dt;
}

function moveBall(scene: Scene, dt: number, rng: Rng): void {
  const { ball, actors } = scene;
  if (ball.owner >= 0) {
    const owner = actors[ball.owner]!;
    const dir = owner.vx >= 0 ? 1 : -1;
    ball.x = owner.x + dir * 0.7;
    ball.y = owner.y + 0.3;
    if (scene.time >= ball.holdUntil) pass(scene, rng);
    return;
  }
  const receiver = actors[ball.receiver]!;
  const dx = receiver.x - ball.x;
  const dy = receiver.y - ball.y;
  const dist = Math.hypot(dx, dy);
  const stepLength = ball.speed * dt;
  if (dist <= Math.max(0.8, stepLength)) {
    ball.owner = ball.receiver;
    ball.receiver = -1;
    ball.holdUntil = scene.time + rng.range(0.6, 2.5);
    return;
  }
  ball.x += (dx / dist) * stepLength;
  ball.y += (dy / dist) * stepLength;
  ball.speed = Math.max(9, ball.speed * (1 - 0.25 * dt));
}

// Mostly to a teammate within reach; now and then a long ball that the other team wins.
function pass(scene: Scene, rng: Rng): void {
  const { ball, actors } = scene;
  const from = actors[ball.owner]!;
  const interception = rng.next() < 0.2;
  const team = interception ? (from.team === 'a' ? 'b' : 'a') : from.team;
  const candidates = actors
    .map((a, i) => ({ a, i, d: Math.hypot(a.x - from.x, a.y - from.y) }))
    .filter(({ a, i }) => i !== ball.owner && a.team === team && a.role === 'outfield');
  const nearby = candidates.filter((c) => c.d > 6 && c.d < 32);
  const choice = rng.pick(nearby.length > 0 ? nearby : candidates);
  ball.receiver = choice.i;
  ball.owner = -1;
  ball.speed = rng.range(14, 22);
}

function nearestOutfield(actors: Actor[], team: 'a' | 'b', x: number, y: number): number {
  let best = -1;
  let bestD = Infinity;
  actors.forEach((a, i) => {
    if (a.team !== team || a.role !== 'outfield') return;
    const d = Math.hypot(a.x - x, a.y - y);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
