"""``python -m storefront --host 127.0.0.1 --port 8000``"""

import argparse

from bot.settings import get_settings
from storefront.app import create_app

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="storefront")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    create_app(get_settings()).run(host=args.host, port=args.port, access_log=False)
