#!/usr/bin/env node
// A stand-in for the native `solc` binary, backed by the solc-js package in node_modules.
//
// Why: the build must work offline and give byte-identical bytecode to Hardhat, which also runs
// this same soljson. py-solc-x calls its `solc_binary` as `<bin> --version` and
// `<bin> --standard-json [--allow-paths ...]` with the JSON on stdin, so this script answers
// exactly those two calls. stdout carries only the compiler's answer (py-solc-x parses it), every
// other message goes to stderr.
//
// Imports not already present in the input are read from the repository root (ONELIST_ROOT, or
// two directories above this script) or from its node_modules, under the same source unit name,
// the way Hardhat resolves `@openzeppelin/contracts/...`.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const CHECKOUT = path.resolve(__dirname, "..", "..");
const ROOT = path.resolve(process.env.ONELIST_ROOT || CHECKOUT);
// The project's node_modules first, then the one beside this checkout.
const NODE_MODULES = [...new Set([ROOT, CHECKOUT].map((d) => path.join(d, "node_modules")))];

function loadSolc() {
  for (const dir of NODE_MODULES) {
    if (fs.existsSync(path.join(dir, "solc", "package.json"))) {
      return createRequire(path.join(dir, "noop.js"))("solc");
    }
  }
  process.stderr.write(`solc_wrapper: no solc package in ${NODE_MODULES.join(" or ")} (run npm ci)\n`);
  process.exit(2);
}

/** Keep a resolved path inside `base`, so an import cannot read arbitrary files. */
function inside(base, relative) {
  const full = path.resolve(base, relative);
  return full === base || full.startsWith(base + path.sep) ? full : null;
}

function findImport(sourceName) {
  for (const base of [ROOT, ...NODE_MODULES]) {
    const full = inside(base, sourceName);
    if (full !== null && fs.existsSync(full) && fs.statSync(full).isFile()) {
      return { contents: fs.readFileSync(full, "utf8") };
    }
  }
  return { error: `File not found under ${[ROOT, ...NODE_MODULES].join(" or ")}: ${sourceName}` };
}

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

function main(argv) {
  if (argv.includes("--version")) {
    const solc = loadSolc();
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
    );
    return 0;
  }
  if (argv.includes("--standard-json")) {
    const solc = loadSolc();
    const input = readStdin();
    const output = solc.compile(input, { import: findImport });
    process.stdout.write(output);
    process.stdout.write("\n");
    return 0;
  }
  // Anything else (--allow-paths, --base-path values, ...) is accepted and ignored above; a call
  // with neither mode is a usage error.
  process.stderr.write("usage: solc_wrapper.js --version | --standard-json [ignored flags] < input.json\n");
  return 1;
}

process.exitCode = main(process.argv.slice(2));
