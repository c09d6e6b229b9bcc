// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Signatures
/// @notice Signature checks for EOAs and ERC-1271 contract wallets, in that order.
/// @dev OpenZeppelin's `SignatureChecker.isValidSignatureNow` reads the signer's code size first,
/// a cold account access (2,600 gas) on every listing and grant, although almost every signer is
/// an EOA. Trying ECDSA first and ERC-1271 only when it does not match costs nothing extra for a
/// contract wallet (nobody holds a key for a contract's address) and saves that access otherwise.
library Signatures {
    function isValidNow(address signer, bytes32 hash, bytes calldata signature) internal view returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return signer.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(signer, hash, signature);
    }
}
