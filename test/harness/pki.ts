/**
 * Throwaway X.509 material made with openssl: a test CA with a server
 * certificate for 127.0.0.1/localhost, and self-signed certificates for keys
 * (the token issuer's rootcertbundle). EC P-256 keys keep generation fast.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runTool } from "./tools.js";

export interface TestPki {
  /** PEM of the test CA (the same file as certDir/ca.crt). */
  caFile: string;
  /** Server certificate (PEM) with SANs IP:127.0.0.1, DNS:localhost and DNS:registry.airlock.test (a name only the test proxy resolves). */
  certFile: string;
  keyFile: string;
  /** Holds only ca.crt, so it works as skopeo's --cert-dir. */
  certDir: string;
}

const DAYS = "2";

const SERVER_EXTENSIONS = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,keyEncipherment",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:registry.airlock.test",
  "",
].join("\n");

/** Writes a CA and a server certificate signed by it into `dir`. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const certDir = join(dir, "certs");
  await mkdir(certDir, { recursive: true });
  const caFile = join(certDir, "ca.crt");
  const caKeyFile = join(dir, "ca.key");
  const keyFile = join(dir, "server.key");
  const csrFile = join(dir, "server.csr");
  const certFile = join(dir, "server.pem");
  const extFile = join(dir, "server.ext");

  const caExtensions = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"];
  await runOpenssl([
    ...newKeyArgs(caKeyFile),
    ...["-x509", "-days", DAYS, "-subj", "/CN=airlock test CA", "-out", caFile],
    ...caExtensions.flatMap((extension) => ["-addext", extension]),
  ]);
  await runOpenssl([...newKeyArgs(keyFile), "-subj", "/CN=localhost", "-out", csrFile]);
  await writeFile(extFile, SERVER_EXTENSIONS);
  await runOpenssl([
    ...["x509", "-req", "-in", csrFile, "-CA", caFile, "-CAkey", caKeyFile],
    ...["-CAserial", join(dir, "ca.srl"), "-CAcreateserial"],
    ...["-days", DAYS, "-extfile", extFile, "-out", certFile],
  ]);
  return { caFile, certFile, keyFile, certDir };
}

/** Writes a self-signed certificate for an existing PEM private key. */
export async function makeSelfSignedCert(
  keyFile: string,
  certFile: string,
  commonName: string,
): Promise<void> {
  const subject = `/CN=${commonName}`;
  await runOpenssl([
    "req",
    "-new",
    "-x509",
    "-key",
    keyFile,
    "-days",
    DAYS,
    "-subj",
    subject,
    "-out",
    certFile,
  ]);
}

/** `openssl req` arguments that make a new unencrypted P-256 key. */
function newKeyArgs(keyFile: string): string[] {
  return [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    keyFile,
  ];
}

async function runOpenssl(args: string[]): Promise<void> {
  await runTool("openssl", args);
}
