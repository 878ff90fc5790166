/**
 * `npm run bench:closures`: what V8's young-generation collections keep when short-lived objects get a
 * new closure per object, stored in different ways (why api/middleware/own-method.ts defines such
 * methods instead of assigning them). Each way runs in its own Node process with `--trace-gc-nvp` and
 * an 8 MB young generation (as gridpulse's processes run): 200,000 objects of a class with function
 * fields, 16 kept at a time. Prints, per way, the collections and what each kept (`new_space_survived`)
 * and promoted to the old generation, on average. What keeps memory is a function literal stored by
 * assignment (`o.m = () => …`); the same closure assigned from a variable, or defined, keeps none.
 *   --objects N (default 200000)
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { positiveIntegers } from "./args.ts";

const ways = {
  nothing: "no store",
  assigned: "its function field assigned a function literal (o.set = (k, v) => …)",
  "assigned-new": "a new property assigned a function literal",
  "assigned-variable": "its function field assigned the same closure from a variable",
  defined: "the same closure through Object.defineProperty (setOwnMethod)",
  shared: "a function shared by all objects, assigned",
  literal: "a new property assigned an object literal holding a closure",
} as const;
type Way = keyof typeof ways;

class Holder {
  readonly i: number;
  #values: Map<string, number> | undefined;
  set = (key: string, value: number) => {
    this.#values ??= new Map();
    this.#values.set(key, value);
  };
  constructor(i: number) {
    this.i = i;
  }
}

function sharedSet(this: Holder, _key: string, _value: number) {}

/** The child: makes the objects, storing a closure `way`'s way. */
async function run(way: Way, objects: number): Promise<number> {
  const kept: object[] = [];
  let sum = 0;
  for (let n = 0; n < objects; n++) {
    const h = new Holder(n) as Holder & Record<string, unknown>;
    const own = h.set;
    // The function literal on the right of the assignment is what matters (see the module comment).
    if (way === "assigned") h.set = (key: string, value: number) => own(key, value + 1);
    else if (way === "assigned-new") h.extra = (key: string, value: number) => own(key, value + 1);
    else if (way === "assigned-variable") {
      const wrapper = (key: string, value: number) => own(key, value + 1);
      h.set = wrapper;
    } else if (way === "defined")
      Object.defineProperty(h, "set", {
        value: (key: string, value: number) => own(key, value + 1),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else if (way === "shared") h.set = sharedSet;
    else if (way === "literal")
      h.extra = { call: (key: string, value: number) => own(key, value + 1) };
    h.set("a", n);
    kept.push(h);
    if (kept.length > 16) kept.shift();
    sum += h.i;
    // Let the loop turn now and then, as a server's would.
    if (n % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return sum;
}

const { values } = parseArgs({
  options: { objects: { type: "string", default: "200000" }, child: { type: "string" } },
});
const { objects } = positiveIntegers({ objects: values.objects });

if (values.child) {
  await run(values.child as Way, objects);
} else {
  const script = fileURLToPath(import.meta.url);
  const rows = (Object.keys(ways) as Way[]).map((way) => {
    const child = spawnSync(
      process.execPath,
      [
        "--max-semi-space-size=8",
        "--trace-gc-nvp",
        script,
        "--child",
        way,
        "--objects",
        String(objects),
      ],
      { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
    );
    if (child.status !== 0) throw new Error(`${way}: ${child.stderr}`);
    let collections = 0;
    let survived = 0;
    let promoted = 0;
    for (const line of child.stdout.split("\n")) {
      if (!line.includes(" gc=s ")) continue;
      collections++;
      survived += Number(/ new_space_survived=(\d+)/.exec(line)?.[1] ?? 0);
      promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
    }
    const kb = (bytes: number) => Math.round(bytes / Math.max(1, collections) / 1024);
    return {
      "each object gets": ways[way],
      collections,
      "kept KB / collection": kb(survived),
      "promoted KB / collection": kb(promoted),
    };
  });
  console.log(
    `${objects.toLocaleString("en")} objects, 16 kept at a time, 8 MB young generation, one process per way`,
  );
  console.table(rows);
}
