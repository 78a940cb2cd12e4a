import json

from django.core.management.base import BaseCommand, CommandError

from casestudies.models import ResearchProject
from suggestions import services


class Command(BaseCommand):
    help = "Train a project's code model on its coding and print each code's precision, recall and examples."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--json", action="store_true", help="Print a JSON list instead of a table.")
        parser.add_argument("--min-precision", type=float, default=services.MIN_PRECISION)
        parser.add_argument("--min-examples", type=int, default=services.MIN_EXAMPLES)

    def handle(self, *args, **options) -> None:
        project = ResearchProject.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug {options['project']!r}.")
        model = services.train_code_model(
            project=project, min_precision=options["min_precision"], min_examples=options["min_examples"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(model.quality))
            return
        names = dict(project.codes.values_list("pk", "name"))
        self.stdout.write(f"{'Code':40} {'Precision':>9} {'Recall':>7} {'Examples':>8}  Suggested")
        for row in model.quality:
            figure = lambda value: "—" if value is None else f"{value:.2f}"  # noqa: E731
            self.stdout.write(
                f"{names.get(row['code_id'], '?')[:40]:40} {figure(row['precision']):>9} {figure(row['recall']):>7}"
                f" {row['examples']:>8}  {'yes' if row['suggested'] else 'no'}"
            )
