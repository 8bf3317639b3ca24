import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { globalCredential, parseCredsFlag } from "../../src/cli/credential-flags.js";
import { promptLine } from "../../src/cli/prompt.js";
import { AirlockError } from "../../src/errors.js";

/** A terminal's stdin as far as the prompt cares: a stream with isTTY and raw mode. */
class FakeTty extends PassThrough {
  readonly isTTY = true;
  isRaw = false;
  readonly modes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    this.modes.push(mode);
    return this;
  }
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  return { stream, text: () => text };
}

/** Asks one question and types `chunks` (each one keyboard read) in turn. */
async function ask(
  chunks: (string | Buffer)[],
  echo: boolean,
): Promise<{ answer: string; shown: string; tty: FakeTty }> {
  const tty = new FakeTty();
  const err = capture();
  const answer = promptLine({ stdin: tty, stderr: err.stream }, "Q: ", { echo });
  for (const chunk of chunks) {
    tty.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { answer: await answer, shown: err.text(), tty };
}

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof AirlockError && err.code === code;
}

describe("promptLine", () => {
  it("reads a password in raw mode without echo, then restores the terminal", async () => {
    const { answer, shown, tty } = await ask(["secret\r"], false);
    assert.equal(answer, "secret");
    assert.equal(shown, "Q: \n");
    assert.deepEqual(tty.modes, [true, false]);
  });

  it("echoes a user name as typed", async () => {
    const { answer, shown } = await ask(["bo", "b\n"], true);
    assert.equal(answer, "bob");
    assert.equal(shown, "Q: bob\n");
  });

  const edits: { name: string; chunks: (string | Buffer)[]; want: string }[] = [
    { name: "Backspace (DEL) erases", chunks: ["ab\u007fc\r"], want: "ac" },
    { name: "Backspace (^H) erases, and on nothing does nothing", chunks: ["\b\bx\by\r"], want: "y" },
    { name: "Ctrl-U clears the line", chunks: ["wrong\u0015right\r"], want: "right" },
    { name: "arrow keys are ignored", chunks: ["a", "\u001b[A", "\u001b[D", "b\r"], want: "ab" },
    { name: "other control keys are ignored", chunks: ["a\tb\u0007\r"], want: "ab" },
    { name: "Ctrl-D ends the line", chunks: ["pw\u0004"], want: "pw" },
    {
      name: "a UTF-8 character split across reads",
      chunks: [Buffer.from([0x70, 0xc3]), Buffer.from([0xa9, 0x0d])],
      want: "pé",
    },
    { name: "what follows Enter is not read", chunks: ["one\rtwo\r"], want: "one" },
  ];
  for (const c of edits) {
    it(c.name, async () => assert.equal((await ask(c.chunks, false)).answer, c.want));
  }

  it("Ctrl-C is interrupted, and the terminal is restored", async () => {
    const tty = new FakeTty();
    const answer = promptLine({ stdin: tty, stderr: new PassThrough() }, "Q: ", { echo: false });
    tty.write("abc\u0003");
    await assert.rejects(answer, isCode("ERR_ABORTED"));
    assert.deepEqual(tty.modes, [true, false]);
  });

  it("an aborted signal is interrupted", async () => {
    const tty = new FakeTty();
    const controller = new AbortController();
    const answer = promptLine({ stdin: tty, stderr: new PassThrough() }, "Q: ", {
      echo: false,
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(answer, isCode("ERR_ABORTED"));
  });

  it("refuses a stdin that is not a terminal", async () => {
    await assert.rejects(
      promptLine({ stdin: new PassThrough(), stderr: new PassThrough() }, "Q: ", { echo: false }),
      isCode("ERR_USAGE"),
    );
  });
});

describe("--creds values", () => {
  const pipe = { stdin: new PassThrough(), stderr: new PassThrough() };

  const good: { value: string; want: { username: string; password: string } }[] = [
    { value: "alice:pw", want: { username: "alice", password: "pw" } },
    { value: "alice:p:w:", want: { username: "alice", password: "p:w:" } },
  ];
  for (const c of good) {
    it(`${c.value} is ${JSON.stringify(c.want)}`, async () =>
      assert.deepEqual(await parseCredsFlag("--creds", c.value, pipe), c.want));
  }

  const bad: { value: string; mentions: RegExp }[] = [
    { value: ":pw", mentions: /user name/ },
    { value: "alice:", mentions: /password after ":" is empty/ },
    { value: "alice", mentions: /--src-creds alice has no password and stdin is not a terminal/ },
  ];
  for (const c of bad) {
    it(`${c.value} is a usage error`, async () => {
      await assert.rejects(parseCredsFlag("--src-creds", c.value, pipe), (err: unknown) => {
        assert.ok(isCode("ERR_USAGE")(err));
        assert.match((err as Error).message, c.mentions);
        assert.ok(!(err as Error).message.includes("pw"));
        return true;
      });
    });
  }

  it("USER alone on a terminal asks for the password", async () => {
    const tty = new FakeTty();
    const cred = parseCredsFlag("--dest-creds", "bob", { stdin: tty, stderr: new PassThrough() });
    tty.write("hunter2\r");
    assert.deepEqual(await cred, { username: "bob", password: "hunter2" });
  });

  const env: { name: string; creds?: string; env: NodeJS.ProcessEnv; want?: object; error?: RegExp }[] = [
    { name: "nothing: the auth files", env: {}, want: undefined },
    { name: "--creds", creds: "a:b", env: {}, want: { username: "a", password: "b" } },
    {
      name: "--creds beats the variables",
      creds: "a:b",
      env: { AIRLOCK_USERNAME: "x", AIRLOCK_PASSWORD: "y" },
      want: { username: "a", password: "b" },
    },
    {
      name: "both variables",
      env: { AIRLOCK_USERNAME: "x", AIRLOCK_PASSWORD: "y" },
      want: { username: "x", password: "y" },
    },
    { name: "AIRLOCK_USERNAME alone", env: { AIRLOCK_USERNAME: "x" }, error: /AIRLOCK_PASSWORD is not/ },
    { name: "AIRLOCK_PASSWORD alone", env: { AIRLOCK_PASSWORD: "y" }, error: /AIRLOCK_USERNAME is not/ },
    {
      name: "empty variables are unset",
      env: { AIRLOCK_USERNAME: "", AIRLOCK_PASSWORD: "" },
      want: undefined,
    },
  ];
  for (const c of env) {
    it(`global credential: ${c.name}`, async () => {
      const result = globalCredential(c.creds, c.env, pipe);
      if (c.error === undefined) assert.deepEqual(await result, c.want);
      else await assert.rejects(result, c.error);
    });
  }
});
