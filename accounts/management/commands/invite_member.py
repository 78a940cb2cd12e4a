from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import invite_member
from casestudies.models import CaseStudy, ProjectRole, ResearchProject


class Command(BaseCommand):
    help = "Invite someone to a project (and chosen case studies) with a role; emails and prints the link."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="The project's slug.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=ProjectRole.values)
        parser.add_argument("--case-study", action="append", default=[], dest="case_studies", metavar="SLUG")

    def handle(self, *args, project: str, email: str, role: str, case_studies: list[str], **options) -> None:
        found = ResearchProject.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with the slug {project!r}.")
        chosen = list(CaseStudy.objects.filter(project=found, slug__in=case_studies))
        missing = sorted(set(case_studies) - {case_study.slug for case_study in chosen})
        if missing:
            raise CommandError(f"No case study of {found.slug} with the slug: {', '.join(missing)}.")
        try:
            invitation, link = invite_member(project=found, email=email, role=role, case_studies=chosen)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(link)
        invitation.refresh_from_db(fields=["send_error"])
        if invitation.send_error:
            self.stderr.write(
                f"The invitation is saved, but its email was {invitation.send_error}: send the link yourself."
            )
