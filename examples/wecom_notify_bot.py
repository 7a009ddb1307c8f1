"""An internal notification bot for WeCom: a group robot for the team chat, an app message for the owners.

Run it from a deploy script::

    WXKIT_ROBOT_KEY=... WXKIT_CORP_ID=ww... WXKIT_CORP_SECRET=... WXKIT_AGENT_ID=1000002 \
        python examples/wecom_notify_bot.py api-gateway v1.4.2 alice bob

The group robot (消息推送) posts to one group chat through its webhook key and
needs no access token; the app message (``message/send``) reaches members
one by one and tells which userids it could not reach. ``WXKIT_WORK_BASE_URL``
points both at another WeCom (the emulator in tests).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import attrs

from wxkit.work import GroupRobot, SendResult, WorkClient


@attrs.frozen
class Notifier:
    """Tells the team (robot) and the service's owners (app message) that a deploy finished."""

    robot: GroupRobot
    client: WorkClient

    def deploy_done(self, service: str, version: str, owners: Sequence[str]) -> SendResult:
        """Post a markdown note to the group and a text card to ``owners``; return the app message's result."""
        self.robot.markdown(f'**{service}** deployed: <font color="info">{version}</font>')
        result = self.client.message.send_textcard(
            f"{service} {version} is live",
            f'<div class="highlight">{service}</div> now runs {version}.',
            f"https://deploy.example.com/{service}/{version}",
            touser=list(owners),
        )
        if not result.ok:  # a partial send: some owners left the corp or are outside the app's range
            self.robot.text(f"could not reach: {', '.join(result.invalid_users)}")
        return result


def from_environment() -> Notifier:
    """A Notifier configured from WXKIT_ROBOT_KEY, WXKIT_CORP_ID, WXKIT_CORP_SECRET, WXKIT_AGENT_ID."""
    base_url = os.environ.get("WXKIT_WORK_BASE_URL", "https://qyapi.weixin.qq.com")
    robot = GroupRobot(os.environ["WXKIT_ROBOT_KEY"], base_url=base_url)
    client = WorkClient(
        os.environ["WXKIT_CORP_ID"],
        os.environ["WXKIT_CORP_SECRET"],
        agent_id=int(os.environ["WXKIT_AGENT_ID"]),
        base_url=base_url,
    )
    return Notifier(robot, client)


def main(argv: Sequence[str]) -> int:
    """``wecom_notify_bot.py SERVICE VERSION OWNER...``."""
    if len(argv) < 3:
        print("usage: wecom_notify_bot.py SERVICE VERSION OWNER...", file=sys.stderr)
        return 2
    notifier = from_environment()
    try:
        result = notifier.deploy_done(argv[0], argv[1], argv[2:])
    finally:
        notifier.robot.close()
        notifier.client.close()
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
