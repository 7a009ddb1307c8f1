"""Mini programs (小程序): decrypting ``encryptedData`` from ``wx.getUserInfo`` and friends."""

from .crypto import decrypt_encrypted_data

__all__ = ["decrypt_encrypted_data"]
