"""A local WeChat platform for tests and demos.

* The push half: :class:`WeChatPusher` builds the signed (and encrypted)
  pushes WeChat sends, delivers them to an app object or a URL, and verifies
  and decrypts the reply into a :class:`PushReply`; :class:`MiniProgramPusher`
  does the same for mini-program pushes (JSON or XML; plaintext, compatible or
  safe mode).
* The API half: :class:`Emulator` serves WeChat's HTTP API from memory on a
  loopback port, with a controllable clock, fault injection and counters.

Neither needs ``requests``; :meth:`Emulator.client` builds a
:class:`wxkit.Client` (which does) pointed at the emulator.
"""

from .emulator import AppState, Emulator, Fault
from .miniprogram_push import MiniProgramPusher
from .push import Push, PushReply, WeChatPusher

__all__ = ["AppState", "Emulator", "Fault", "MiniProgramPusher", "Push", "PushReply", "WeChatPusher"]
