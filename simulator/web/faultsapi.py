"""``/api/faults``: faults on demand over HTTP, for scripts in any language.

``POST /api/faults`` with the fault's keys (``{"login": "guest", "on": "STOR",
"reply": 452, "times": 1}``) answers 201 with the fault and its ``id``;
``GET /api/faults`` lists the faults in force with how often each matched and
fired; ``DELETE /api/faults/{id}`` and ``DELETE /api/faults`` remove them;
``GET /api/faults/events`` is what clients met, oldest first.  The keys are
those of ``smsftp.simulator.service.faults`` (and of an account's ``faults``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from smsftp.simulator.service.faults import FaultError, parse_fault

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


def install(api: APIRouter, sim: Simulator) -> None:
    """Add the fault routes to the ``/api`` router."""

    @api.get("/faults", summary="Faults in force, with how often each matched and fired")
    def list_faults() -> dict[str, Any]:
        return {"faults": [f.to_json() for f in sim.faults]}

    @api.post("/faults", status_code=201, summary="Add a fault (reply code, latency, cut upload, late poll, ...)")
    def add_fault(body: FaultIn) -> dict[str, Any]:
        data = body.model_dump(exclude_none=True, by_alias=True)
        try:
            spec = parse_fault(data, sim.clock.now(), "POST /api/faults")
        except FaultError as exc:
            raise HTTPException(422, str(exc)) from None
        if spec.login is not None and spec.login not in sim.accounts:
            raise HTTPException(422, f"POST /api/faults: no account {spec.login!r}")
        return sim.faults.add(spec, "api").to_json()

    @api.delete("/faults/{fault_id}", summary="Remove one fault", responses={404: {"description": "no such fault"}})
    def remove_fault(fault_id: int) -> dict[str, Any]:
        if not sim.faults.remove(fault_id):
            raise HTTPException(404, f"no fault {fault_id}")
        return {"removed": 1}

    @api.delete("/faults", summary="Remove every fault (those from --fault and the accounts file too)")
    def remove_faults() -> dict[str, Any]:
        return {"removed": sim.faults.clear()}

    @api.get("/faults/events", summary="Faults as clients met them, oldest first (the upload they hit, if any)")
    def fault_events(login: str | None = None) -> dict[str, Any]:
        return {"events": [e.to_json() for e in sim.fault_events(login)]}
