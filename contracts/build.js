// Compiles TestToken.sol with the locked solc-js (package-lock.json) and writes its ABI
// and bytecode to tests/exchange/wallets/chains/test_token.json, which the EVM tests
// deploy. Re-run with `make test-token` after changing the contract; the output is
// deterministic, so an unchanged contract gives an unchanged file.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const source = fs.readFileSync(path.join(__dirname, "TestToken.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "TestToken.sol": { content: source } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { TestToken: ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const compiled = output.contracts["TestToken.sol"].TestToken;
const artifact = {
  compiler: "solc " + solc.version(),
  source: "contracts/TestToken.sol",
  abi: compiled.abi,
  bytecode: "0x" + compiled.evm.bytecode.object,
};
const target = path.join(__dirname, "..", "tests", "exchange", "wallets", "chains", "test_token.json");
fs.writeFileSync(target, JSON.stringify(artifact, null, 2) + "\n");
console.log("wrote " + path.relative(process.cwd(), target));
