"""The production settings with ``bench/steps_urls.py``'s probe views in front (steps.sh)."""

from referral_system.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.steps_urls"
