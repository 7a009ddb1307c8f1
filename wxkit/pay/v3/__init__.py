"""WeChat Pay API v3: signer, verifier, crypto, and (with the client) the merchant APIs.

Everything in :mod:`wxkit.pay.v3.crypto`, :class:`Signer` and
:class:`Verifier` works in a script without any client::

    from wxkit.pay.v3 import Signer, rsa_sign, aead_decrypt
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import PayClient
    from .crypto import (
        aead_decrypt,
        aead_encrypt,
        available_crypto_backends,
        crypto_backend,
        load_private_key,
        load_public_key,
        oaep_decrypt,
        oaep_encrypt,
        rsa_sign,
        rsa_verify,
        set_crypto_backend,
    )
    from .signer import Signer
    from .verifier import Verifier
else:  # imported on first use (:mod:`wxkit._lazy`): the crypto helpers do not load the client and requests
    from ... import _lazy

    __getattr__, __dir__ = _lazy.attach(
        __name__,
        {
            "client": ("PayClient",),
            "crypto": (
                "aead_decrypt",
                "aead_encrypt",
                "available_crypto_backends",
                "crypto_backend",
                "load_private_key",
                "load_public_key",
                "oaep_decrypt",
                "oaep_encrypt",
                "rsa_sign",
                "rsa_verify",
                "set_crypto_backend",
            ),
            "signer": ("Signer",),
            "verifier": ("Verifier",),
        },
        # what ``import wxkit.pay.v3`` loaded as a side effect
        [
            "_backend",
            "bills",
            "certificates",
            "client",
            "combine",
            "crypto",
            "orders",
            "profitsharing",
            "refunds",
            "signer",
            "transfers",
            "verifier",
        ],
    )

__all__ = [
    "PayClient",
    "Signer",
    "Verifier",
    "aead_decrypt",
    "aead_encrypt",
    "available_crypto_backends",
    "crypto_backend",
    "load_private_key",
    "load_public_key",
    "oaep_decrypt",
    "oaep_encrypt",
    "rsa_sign",
    "rsa_verify",
    "set_crypto_backend",
]
