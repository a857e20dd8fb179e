// The local EVM node of the wallet tests (`npx hardhat node`, tests/exchange/wallets/evmnode/).
// Its funded accounts come from their own mnemonic, not the exchange's, so the exchange's hot
// wallet and deposit addresses start empty; blocks are mined per transaction and on demand
// (evm_mine), and evm_snapshot/evm_revert make reorganisations.
module.exports = {
  networks: {
    hardhat: {
      chainId: Number(process.env.EVM_NODE_CHAIN_ID || 31337),
      accounts: {
        mnemonic: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        count: 2,
        accountsBalance: "1000000000000000000000000",
      },
    },
  },
};
