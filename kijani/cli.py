"""Admin commands: `flask seed`, `flask create-admin` (more join as domains land)."""

import sys

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError

from kijani.common.errors import ServiceError


def fail(message):
    """Exit non-zero with a one-line message."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def describe(error):
    """One line for a domain error, field errors included."""
    details = []
    for fields in (error.errors or {}).values():
        for field, messages in fields.items():
            details.append(f"{field}: {' '.join(messages)}")
    return error.message + (f" ({'; '.join(details)})" if details else "")


@click.command("create-admin")
@click.option("--email", required=True, help="Email address of the new admin.")
@click.option("--username", required=True, help="Username of the new admin.")
@click.option("--password", help="Password (prompted for, hidden, when omitted).")
@with_appcontext
def create_admin_command(email, username, password):
    """Create an admin account."""
    from kijani.auth import services
    from kijani.auth.schemas import RegisterSchema

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = RegisterSchema().load({"email": email, "username": username, "password": password})
        user = services.create_admin(data["email"], data["username"], data["password"])
    except ValidationError as error:
        fail("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.messages.items()))
    except ServiceError as error:
        fail(describe(error))
    click.echo(f"Admin {user.username} <{user.email}> created (id {user.id}).")


@click.group("seed", invoke_without_command=True)
@click.option("--events", "bulk_events", type=int, metavar="N",
              help="Also make sure N generated events exist (bulk insert, for load tests; idempotent).")
@click.option("--users", "bulk_users", type=int, metavar="N",
              help="Also make sure N generated attendees exist (one shared password hash; idempotent).")
@click.option("--registrations", "bulk_registrations", type=int, metavar="N",
              help="Also make sure N generated registrations (with tickets) exist, spread over the "
                   "published events by the generated attendees (idempotent).")
@click.pass_context
@with_appcontext
def seed_group(ctx, bulk_events, bulk_users, bulk_registrations):
    """Load demo data; safe to run again (existing rows are kept)."""
    bulk = {"--events": bulk_events, "--users": bulk_users, "--registrations": bulk_registrations}
    if ctx.invoked_subcommand is not None:
        given = [name for name, value in bulk.items() if value is not None]
        if given:
            fail(f"{', '.join(given)} goes without a subcommand: flask seed {given[0]} N")
        return
    for name, value in bulk.items():
        if value is not None and not 0 <= value <= BULK_LIMITS[name]:
            fail(f"{name} takes a number from 0 to {BULK_LIMITS[name]}.")
    ctx.invoke(seed_users_command)
    ctx.invoke(seed_events_command)
    ctx.invoke(seed_registrations_command)
    if bulk_events:
        seed_bulk("events", bulk_events)
    if bulk_users:
        seed_bulk("users", bulk_users)
    if bulk_registrations:
        seed_bulk("registrations", bulk_registrations)


#: the largest N each bulk option accepts
BULK_LIMITS = {"--events": 1_000_000, "--users": 1_000_000, "--registrations": 5_000_000}


@seed_group.command("users")
@with_appcontext
def seed_users_command():
    """Create the demo admin, organizers and attendees."""
    from kijani.seed import seed_users

    created = seed_users()
    click.echo(f"Demo users: {created} created (password for all: see README).")


@seed_group.command("events")
@with_appcontext
def seed_events_command():
    """Create the demo categories and upcoming events (and the demo users they need)."""
    from kijani.seed import seed_categories, seed_events, seed_users

    seed_users()
    click.echo(f"Demo categories: {seed_categories()} created.")
    click.echo(f"Demo events: {seed_events()} created.")


@seed_group.command("registrations")
@with_appcontext
def seed_registrations_command():
    """Register the demo attendees for some demo events (one fills up and has a waitlist)."""
    from kijani.seed import seed_categories, seed_events, seed_registrations, seed_users

    seed_users()
    seed_categories()
    seed_events()
    click.echo(f"Demo registrations: {seed_registrations()} created.")


def seed_bulk(kind, count):
    """Bulk-insert generated events, users or registrations up to `count`, with a progress bar."""
    from kijani import seed

    generate = {"events": seed.seed_bulk_events, "users": seed.seed_bulk_users,
                "registrations": seed.seed_bulk_registrations}[kind]
    with click.progressbar(length=count, label=f"Generating {count} {kind}") as bar:
        try:
            created = generate(count, on_progress=bar.update)
        except ValueError as error:
            fail(str(error))
    click.echo(f"Bulk {kind}: {created} created ({count - created} already there).")


@click.command("promote-waitlist")
@with_appcontext
def promote_waitlist_command():
    """Promote waitlisted registrations wherever seats are free, and expire old offers."""
    from kijani.registrations.services import sweep_waitlists

    promoted = sweep_waitlists()
    click.echo(f"Waitlist sweep done: {promoted} registration(s) promoted.")


@click.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Run one reminder sweep now: reminders, organizer digests, feedback invitations."""
    from kijani.notifications.services import send_reminders

    sent = send_reminders()
    click.echo("Reminder sweep done: " + ", ".join(f"{count} {kind.replace('_', ' ')}"
                                                   for kind, count in sent.items()) + ".")


def register_cli(app):
    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_group)
    app.cli.add_command(promote_waitlist_command)
    app.cli.add_command(send_reminders_command)
