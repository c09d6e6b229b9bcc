// Hardhat 2 configuration: a second, independent build of contracts/ used to check that
// `onelist build` (py-solc-x) produces byte-identical bytecode.
//
// Why these choices:
// - The compiler version and settings come from contracts/compiler.json, the single definition
//   shared with onelist/build/compiler.py; two copies would drift and change the metadata hash.
// - The compiler is the solc-js build already in node_modules (the same soljson that
//   onelist/build/solc_wrapper.js runs), so `npx hardhat compile` never downloads a compiler and
//   works offline.
// - Outputs go under build/ (git-ignored) next to onelist's own artifacts.
"use strict";

const path = require("node:path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

// No interactive telemetry question: it would block non-interactive runs and needs the network.
process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = "true";

const compilerConfig = require("./contracts/compiler.json");

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }) => {
  const solc = require("solc");
  const longVersion = solc.version();
  if (!longVersion.startsWith(`${solcVersion}+`)) {
    throw new Error(
      `contracts/compiler.json asks for solc ${solcVersion} but node_modules has ${longVersion}; ` +
        "change package.json's solc pin and run npm ci",
    );
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: solcVersion,
    longVersion,
  };
});

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    version: compilerConfig.version,
    settings: compilerConfig.settings,
  },
  paths: {
    root: __dirname,
    sources: path.join(__dirname, "contracts"),
    tests: path.join(__dirname, "tests", "hardhat"),
    artifacts: path.join(__dirname, "build", "hardhat"),
    cache: path.join(__dirname, "build", "hardhat-cache"),
  },
};
