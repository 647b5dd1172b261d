/**
 * Seeded randomness and realistic participant fields for the fake RunSignUp. Cheap on purpose:
 * a season of tens of thousands of registrations is generated in well under a second.
 */

/** A seeded pseudo-random source (mulberry32): same seed, same dataset. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

const FIRST_M = [
  "James",
  "Robert",
  "John",
  "Michael",
  "David",
  "William",
  "Carlos",
  "Daniel",
  "Matthew",
  "Anthony",
  "Mark",
  "Wei",
  "Andre",
  "Luis",
  "Ethan",
  "Noah",
  "Liam",
  "Mason",
  "Owen",
  "Tomas",
];
const FIRST_F = [
  "Mary",
  "Patricia",
  "Jennifer",
  "Linda",
  "Elizabeth",
  "Barbara",
  "Susan",
  "Maria",
  "Sarah",
  "Karen",
  "Emily",
  "Aisha",
  "Mei",
  "Sofia",
  "Olivia",
  "Emma",
  "Ava",
  "Chloe",
  "Grace",
  "Nora",
];
const FIRST_X = ["Alex", "Jordan", "Taylor", "Casey", "Riley", "Quinn", "Avery", "Morgan"];
const LAST = [
  "Smith",
  "Johnson",
  "Williams",
  "Brown",
  "Jones",
  "Garcia",
  "Miller",
  "Davis",
  "Rodriguez",
  "Martinez",
  "Hernandez",
  "Lopez",
  "Gonzalez",
  "Wilson",
  "Anderson",
  "Thomas",
  "Taylor",
  "Moore",
  "Jackson",
  "Martin",
  "Lee",
  "Perez",
  "Thompson",
  "White",
  "Harris",
  "Sanchez",
  "Clark",
  "Ramirez",
  "Lewis",
  "Robinson",
  "Nguyen",
  "O'Brien",
  "Van der Berg",
  "St. John",
];
const PLACES: readonly (readonly [string, string, string])[] = [
  ["Boston", "MA", "02118"],
  ["Denver", "CO", "80202"],
  ["Austin", "TX", "78701"],
  ["Portland", "OR", "97205"],
  ["Chicago", "IL", "60601"],
  ["Phoenix", "AZ", "85004"],
  ["Atlanta", "GA", "30303"],
  ["Arvada", "CO", "80007"],
  ["Sioux Falls", "SD", "57108"],
  ["Bessemer", "PA", "16112"],
];
const TEAMS = ["Harbor Striders", "Trail Goats", "Run Club 5AM", "Mile High Milers", "Desert Dashers", "Team Hope"];
const SHIRTS = ["XS", "S", "M", "L", "XL", "XXL"];

/** The person-level fields of a generated registration. */
export interface Person {
  userId: number;
  firstName: string;
  middleName: string | null;
  lastName: string;
  email: string | null;
  dob: string | null;
  gender: "M" | "F" | null;
  phone: string | null;
  street: string | null;
  city: string;
  state: string;
  zipcode: string;
  age: number | null;
  teamId: number | null;
  teamName: string | null;
  answers: { questionId: number; text: string; response: string | null }[];
}

/** A realistic person, as of `year`. About 3% have a null gender (how RunSignUp stores non-binary). */
export function generatePerson(rng: Rng, userId: number, year: number): Person {
  const g = rng.next();
  const gender = g < 0.03 ? null : g < 0.52 ? "F" : "M";
  let firstName = rng.pick(gender === "F" ? FIRST_F : gender === "M" ? FIRST_M : FIRST_X);
  // A few names arrive with a leading space, as real ones do.
  if (rng.chance(0.02)) firstName = ` ${firstName}`;
  const lastName = rng.pick(LAST);
  const age = rng.int(8, 79);
  const birthYear = year - age - (rng.chance(0.5) ? 1 : 0);
  const dob = rng.chance(0.96) ? `${birthYear}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}` : null;
  const [city, state, zipcode] = rng.pick(PLACES);
  const onTeam = rng.chance(0.15);
  const teamIndex = rng.int(0, TEAMS.length - 1);
  return {
    userId,
    firstName,
    middleName: rng.chance(0.1) ? rng.pick(["A.", "J.", "Lee", "Marie"]) : null,
    lastName,
    email: rng.chance(0.97)
      ? `${firstName.trim().toLowerCase()}.${lastName.toLowerCase().replace(/[^a-z]/g, "")}${userId % 1000}@example.com`
      : null,
    dob,
    gender,
    phone: rng.chance(0.9) ? `${rng.int(201, 989)}-555-${String(rng.int(100, 199)).padStart(4, "0")}` : null,
    street: rng.chance(0.85) ? `${rng.int(1, 9999)} Example Street` : null,
    city,
    state,
    zipcode,
    age: dob === null && rng.chance(0.5) ? null : age,
    teamId: onTeam ? 7000 + teamIndex : null,
    teamName: onTeam ? TEAMS[teamIndex]! : null,
    answers: [
      { questionId: 501, text: "T-shirt size", response: rng.pick(SHIRTS) },
      { questionId: 502, text: "Emergency Contact Name", response: rng.chance(0.9) ? `${rng.pick(FIRST_F)} ${lastName}` : null },
    ],
  };
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
