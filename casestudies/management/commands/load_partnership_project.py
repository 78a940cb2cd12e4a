from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from casestudies.seed import DEMO_PASSWORD, load_demo, load_partnership_project


class Command(BaseCommand):
    help = (
        "Create or update the Partnership project from its briefing (themes, questions, case studies, phases). "
        "With --demo, also demo users and fictional, clearly labelled demo material. Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="Also load demo users and fictional demo material.")

    def handle(self, *args, demo: bool = False, **options) -> None:
        project = load_partnership_project()
        self.stdout.write(f"Project “{project.title}” ({project.slug}) is up to date.")
        if not demo:
            return
        counts = load_demo(project)
        self.stdout.write(
            "Demo material: {organisations} organisations, {participants} participants, "
            "{interviews} fictional interviews.".format(**counts)
        )
        # Each later app may add its own demo material (codebook, coding, papers) in a `demo` module.
        for config in apps.get_app_configs():
            if config.name == "casestudies" or not find_spec(f"{config.name}.demo"):
                continue
            summary = import_module(f"{config.name}.demo").load_demo(project=project)
            if summary:
                self.stdout.write(f"Demo material ({config.verbose_name}): {summary}")
        self.stdout.write(f"Demo logins: admin, lead, researcher — password “{DEMO_PASSWORD}” (demo only).")
