import json

from django.core.management.base import BaseCommand, CommandError

from casestudies.models import Interview
from suggestions import services


class Command(BaseCommand):
    help = "Print an interview's suggested codes (start and end in code points, code and confidence)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interview", type=int, required=True)
        parser.add_argument("--json", action="store_true", help="Print a JSON list.")

    def handle(self, *args, **options) -> None:
        interview = Interview.objects.select_related("project").filter(pk=options["interview"]).first()
        if interview is None:
            raise CommandError(f"No interview with the id {options['interview']}.")
        suggestions = services.suggest_codes(interview=interview)
        if options["json"]:
            self.stdout.write(json.dumps(suggestions))
            return
        for item in suggestions:
            self.stdout.write(f"[{item['start']}, {item['end']}) code {item['code_id']} {item['confidence']:.2f}")
