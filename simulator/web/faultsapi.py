"""``/api/faults``: faults on demand over HTTP, for scripts in any language.

``POST /api/faults`` with the fault's keys (``{"login": "guest", "on": "STOR",
"reply": 452, "times": 1}``) answers 201 with the fault and its ``id``;
``GET /api/faults`` lists the faults in force with how often each matched and
fired; ``DELETE /api/faults/{id}`` and ``DELETE /api/faults`` remove them;
``GET /api/faults/events`` is what clients met, oldest first.  The keys are
those of ``smsftp.simulator.service.faults`` (and of an account's ``faults``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from smsftp.simulator.service.faults import FaultError, parse_fault
from smsftp.simulator.web import problems
from smsftp.simulator.web.problems import ApiProblem

if TYPE_CHECKING:
    from smsftp.simulator.app import Simulator


class FaultIn(BaseModel):
    """One fault: ``on`` and exactly one action; the other keys say for whom and when."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    on: str = Field(description="CONNECT, an FTP command (USER, PASS, AUTH, STOR, RNFR, RNTO, ...), or POLL")
    login: str | None = Field(None, description="only this account (default: every account)")
    reply: int | None = Field(None, description="answer this 4xx/5xx code instead of carrying the command out")
    message: str | None = Field(None, description="the reply's text (default: the code's usual text)")
    delay: float | None = Field(None, description="seconds before the command is carried out")
    rate: int | None = Field(None, description="bytes per second on the upload's data connection")
    cut_after: int | None = Field(None, description="close the upload's data connection after this many bytes")
    reset_after: int | None = Field(None, description="reset (RST) the upload's data connection after this many bytes")
    refuse_tls: bool | None = Field(None, description="on AUTH: answer 234, then break the TLS handshake off")
    drop: bool | None = Field(None, description="close the control connection once the command was answered")
    late: float | None = Field(None, description="on POLL: the poll runs this many seconds after it fell due")
    outage: bool | None = Field(None, description="on POLL: the folder is not looked at (with from/until/for)")
    stuck: int | None = Field(None, description="on POLL: each archive is left alone for this many polls")
    times: int | None = Field(None, description="fire at most this many times (1: one-shot)")
    every: int | None = Field(None, description="fire on every Nth matching command")
    probability: float | None = Field(None, description="fire with this probability (0, 1]")
    seed: int | None = Field(None, description="seed for probability, so that a run repeats")
    start: str | None = Field(None, alias="from", description="ISO 8601 instant on the simulator's clock")
    until: str | None = Field(None, description="ISO 8601 instant on the simulator's clock")
    duration: float | None = Field(None, alias="for", description="seconds from now on the simulator's clock")


class Fault(FaultIn):
    """A fault in force: its keys, where it came from and how often it matched and fired."""

    id: int
    kind: str = Field(description="reply, delay, rate, cut, reset, refuse_tls, drop, late, outage or stuck")
    source: str = Field(description="where it was added: cli, accounts, api or pytest")
    added_at: str = Field(description="ISO 8601 UTC on the simulator's clock")
    matched: int = Field(description="how many commands (or polls) it matched")
    fired: int = Field(description="how many times it fired")


class FaultList(BaseModel):
    faults: list[Fault]


class Removed(BaseModel):
    removed: int = Field(description="how many faults were removed")


class FaultEventOut(BaseModel):
    """One fault as a client met it; ``upload_id`` is the upload it hit, if any."""

    id: int
    fault_id: int
    kind: str
    transient: bool
    login: str | None
    command: str
    argument: str
    reply: int | None
    detail: str
    upload_id: int | None
    after_upload: int = Field(description="the newest upload journaled before it")
    client: str
    at: str = Field(description="ISO 8601 UTC on the simulator's clock")


class FaultEventList(BaseModel):
    events: list[FaultEventOut]


def install(api: APIRouter, sim: Simulator) -> None:
    """Add the fault routes to the ``/api`` router."""

    @api.get("/faults", summary="Faults in force, with how often each matched and fired")
    def list_faults() -> FaultList:
        return FaultList.model_validate({"faults": [f.to_json() for f in sim.faults]})

    @api.post(
        "/faults",
        status_code=201,
        summary="Add a fault (reply code, latency, cut upload, late poll, ...)",
        responses=problems.responses(422),
    )
    def add_fault(body: FaultIn) -> Fault:
        data = body.model_dump(exclude_none=True, by_alias=True)
        try:
            spec = parse_fault(data, sim.clock.now(), "POST /api/faults")
        except FaultError as exc:
            raise ApiProblem(422, str(exc), "invalid-input") from None
        if spec.login is not None and spec.login not in sim.accounts:
            raise ApiProblem(422, f"POST /api/faults: no account {spec.login!r}", "invalid-input")
        return Fault.model_validate(sim.faults.add(spec, "api").to_json())

    @api.delete("/faults/{fault_id}", summary="Remove one fault", responses=problems.responses(404))
    def remove_fault(fault_id: int) -> Removed:
        if not sim.faults.remove(fault_id):
            raise ApiProblem(404, f"no fault {fault_id}", "not-found")
        return Removed(removed=1)

    @api.delete("/faults", summary="Remove every fault (those from --fault and the accounts file too)")
    def remove_faults() -> Removed:
        return Removed(removed=sim.faults.clear())

    @api.get("/faults/events", summary="Faults as clients met them, oldest first (the upload they hit, if any)")
    def fault_events(login: str | None = None) -> FaultEventList:
        return FaultEventList.model_validate({"events": [e.to_json() for e in sim.fault_events(login)]})
