"""``python -m trainers CONFIG [options]``: `tunegate train` as a module, for ``accelerate launch -m trainers``.

    accelerate launch --config_file trainers/accelerate/fsdp.yaml -m trainers train.toml --out candidates/x
"""

from __future__ import annotations

import sys

from harness.cli import main

if __name__ == "__main__":
    sys.argv = ["tunegate", "train", *sys.argv[1:]]
    main()
