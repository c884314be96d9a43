"""Version 1 of the REST API: one route per service call, nothing else.

Every route takes the request's Context from :mod:`clearsight.api.deps` and hands it to
the service, which enforces markings, need-to-know and purpose and writes the audit
entry. Routes that read personal data require ``X-Clearsight-Purpose``. No route changes
or deletes audit entries (LOG-6): the audit routes only read and verify.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from clearsight.api.deps import (
    Services,
    plain_text_parameters,
    purposeful_viewer,
    services,
    signed_in_viewer,
)
from clearsight.governance import service as audit_service
from clearsight.governance.context import Context
from clearsight.graph import (
    FORMATS,
    export,
    neighbours,
    network_communities,
    network_measures,
    path,
)
from clearsight.graph.export import cytoscape_document
from clearsight.patterns.service import hotspot_layer
from clearsight.patterns.store import load_events
from clearsight.resolution import review as review_service
from clearsight.search import profile, search


class Json(JSONResponse):
    """JSON rendered straight from the services' plain data (no per-field re-encoding)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")).encode("utf-8")


router = APIRouter(prefix="/api/v1", dependencies=[Depends(plain_text_parameters)], default_response_class=Json)

Viewer = Annotated[Context, Depends(purposeful_viewer)]
SignedIn = Annotated[Context, Depends(signed_in_viewer)]
Svc = Annotated[Services, Depends(services)]
EntityId = Annotated[str, PathParam(min_length=1, max_length=200, description="A canonical or source entity id.")]
Repeated = Annotated[list[str] | None, Query()]

GEOJSON = "application/geo+json"
EXPORT_MEDIA = {
    "graphml": "application/graphml+xml",
    "cytoscape": "application/json",
    "anx": "application/xml",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_SUFFIX = {"graphml": ".graphml", "cytoscape": ".cyjs", "anx": ".anx", "csv": ".csv", "xlsx": ".xlsx"}


@router.get("/me", tags=["session"], summary="Who the token belongs to, and the purpose as understood")
def me(ctx: SignedIn) -> Json:
    """The caller's roles, clearance and groups; with a purpose header, the parsed purpose
    (a malformed or unassigned purpose is refused here, before any data is read).

    Clients sign in with this route, so each successful call is a security event."""
    purpose = None
    if ctx.purpose is not None:
        p = ctx.purpose
        purpose = {"text": str(p), "case": p.case, "code": p.code, "audit": p.is_audit, "law_enforcement": p.is_law_enforcement}
    return Json({"user": ctx.user, "roles": sorted(ctx.roles), "clearance": ctx.clearance, "groups": sorted(ctx.groups),
                 "caveats": sorted(ctx.caveats), "purpose": purpose})


@router.get("/search", tags=["search"], summary="Search people, objects, places and events you may see")
def search_route(
    svc: Svc,
    ctx: Viewer,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Names, an identifier, an address, a postcode or words.")],
    schema: Repeated = None,
    source: Repeated = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    until: Annotated[str | None, Query(max_length=32)] = None,
    area: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Json:
    ws = svc.workspace
    res = search(ws.governance, ctx, q, schema=schema, source=source, since=since, until=until, area=area,
                 limit=limit, offset=offset)
    return Json(res.as_dict())


@router.get("/entities/{entity_id}", tags=["search"], summary="An entity's values with sources, links and timeline")
def profile_route(svc: Svc, ctx: Viewer, entity_id: EntityId) -> Json:
    return Json(profile(svc.workspace.governance, ctx, entity_id).as_dict())


@router.get("/entities/{entity_id}/neighbours", tags=["graph"], summary="The network around an entity")
def neighbours_route(
    svc: Svc,
    ctx: Viewer,
    entity_id: EntityId,
    hops: Annotated[int, Query(ge=1, le=6)] = 1,
    schema: Repeated = None,
    node_schema: Repeated = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    until: Annotated[str | None, Query(max_length=32)] = None,
) -> Json:
    """Nodes and edges (each edge with its links), and the same as a Cytoscape.js document."""
    net = neighbours(svc.workspace.governance, ctx, entity_id, hops=hops, link_schemas=schema, node_schemas=node_schema,
                     since=since, until=until, cache=svc.graphs)
    return Json({**net.as_dict(), "cytoscape": cytoscape_document(net.nodes, net.edges, net.marking)})


@router.get("/paths", tags=["graph"], summary="How two entities are linked, with the evidence of each link")
def path_route(
    svc: Svc,
    ctx: Viewer,
    start: Annotated[str, Query(alias="from", min_length=1, max_length=200)],
    end: Annotated[str, Query(alias="to", min_length=1, max_length=200)],
    k: Annotated[int, Query(ge=1, le=20)] = 1,
    schema: Repeated = None,
) -> Json:
    res = path(svc.workspace.governance, ctx, start, end, k=k, link_schemas=schema, cache=svc.graphs)
    return Json(res.as_dict())


@router.get("/graph/measures", tags=["graph"], summary="Degree, betweenness and PageRank")
def measures_route(
    svc: Svc,
    ctx: Viewer,
    top: Annotated[int, Query(ge=1, le=1000)] = 20,
    node_schema: Repeated = None,
) -> Json:
    return Json(network_measures(svc.workspace.governance, ctx, top=top, node_schemas=node_schema, cache=svc.graphs).as_dict())


@router.get("/graph/communities", tags=["graph"], summary="Communities, key players and brokers")
def communities_route(
    svc: Svc,
    ctx: Viewer,
    node_schema: Repeated = None,
    min_size: Annotated[int, Query(ge=1, le=100_000)] = 3,
) -> Json:
    rep = network_communities(svc.workspace.governance, ctx, node_schemas=node_schema, min_size=min_size, cache=svc.graphs)
    return Json(rep.as_dict())


@router.get("/hotspots", tags=["patterns"], summary="Hot and cold spots as GeoJSON",
            responses={200: {"content": {GEOJSON: {}}}})
def hotspots_route(
    svc: Svc,
    ctx: Viewer,
    month: Repeated = None,
    crime_type: Repeated = None,
    cell: Annotated[float, Query(ge=50, le=5000, description="Cell size in metres.")] = 250.0,
    permutations: Annotated[int, Query(ge=9, le=9999)] = 199,
) -> Json:
    """Getis-Ord Gi* cells (FDR-controlled) with counts, in WGS84, marked with the highest
    marking of the events used (ACC-4)."""
    events = load_events(svc.workspace.governance, ctx, crime_types=crime_type, months=month, action="patterns.hotspots")
    layer = hotspot_layer(events, crime_types=crime_type, months=month, cell_size=cell, permutations=permutations)
    return Json(layer, media_type=GEOJSON)


@router.get("/review", tags=["review"], summary="Pairs waiting for a decision, most likely first")
def review_list(
    svc: Svc,
    ctx: Viewer,
    schema: Annotated[str, Query(max_length=64)] = "Person",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Json:
    return Json([i.as_dict() for i in review_service.queue(svc.workspace.governance, ctx, schema=schema, limit=limit)])


@router.get("/review/{pair}", tags=["review"], summary="A pair: both records, the waterfall and any judgements")
def review_show(
    svc: Svc,
    ctx: Viewer,
    pair: Annotated[str, PathParam(min_length=1, max_length=100)],
    schema: Annotated[str, Query(max_length=64)] = "Person",
) -> Json:
    return Json(review_service.show(svc.workspace.governance, ctx, pair=pair, schema=schema).as_dict(detail=True))


class _Body(BaseModel):
    """A request body whose text holds no NUL characters (no store can keep them)."""

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: Any) -> Any:
        def walk(value: Any) -> None:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("text must not contain NUL characters")
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(data)
        return data


class DecisionIn(_Body):
    judgement: Literal["same", "not_same", "split"]
    reason: str = Field(min_length=1, max_length=2000, description="Why (stored and audited).")
    pair: str | None = Field(None, max_length=100, description="A pair id from the queue.")
    left: str | None = Field(None, max_length=200, description="A record id (for split: the record to take out).")
    right: str | None = Field(None, max_length=200, description="The other record id.")
    schema_name: str = Field("Person", alias="schema", max_length=64)


@router.post("/review/decisions", tags=["review"], summary="Record a decision on a pair; it overrides the model",
             status_code=201)
def review_decide(svc: Svc, ctx: Viewer, body: DecisionIn) -> Json:
    d = review_service.decide(svc.workspace.governance, ctx, judgement=body.judgement, reason=body.reason,
                              pair=body.pair, left_id=body.left, right_id=body.right, schema=body.schema_name)
    return Json(d.as_dict(), status_code=201)


@router.get("/audit/log", tags=["audit"],
            summary="Audit entries, newest first (auditor or DPO, with a s.62(4) purpose)")
def audit_log(
    svc: Svc,
    ctx: Viewer,
    by: Annotated[str | None, Query(max_length=64, description="Only entries by this user.")] = None,
    operation: Annotated[str | None, Query(max_length=16)] = None,
    purpose_contains: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    until: Annotated[str | None, Query(max_length=32)] = None,
    entity: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Json:
    entries = audit_service.read_log(svc.workspace.governance, ctx, user=by, purpose=purpose_contains,
                                     operation=operation, since=since, until=until, entity=entity, limit=limit)
    return Json([e.as_dict() for e in entries])


@router.get("/audit/verify", tags=["audit"], summary="Recompute the hash chain and Merkle tree of the audit log")
def audit_verify(svc: Svc, ctx: Viewer) -> Json:
    ws = svc.workspace
    report = audit_service.verify(ws.governance, ctx, signing_key=ws.settings.signing_key_path)
    return Json(report.as_dict())


class ExportIn(_Body):
    format: Literal["graphml", "cytoscape", "anx", "csv", "xlsx"]
    recipient: str = Field(max_length=300, description="Who receives it: a person, organisation or system (LOG-3).")
    ids: list[str] | None = Field(None, max_length=10_000, description="Entity ids to chart.")
    community: int | None = Field(None, ge=0, description="Or a community number from /graph/communities.")


@router.post("/exports", tags=["graph"], summary="Export a chart to a named recipient: an audited disclosure",
             responses={200: {"content": {m.split(";")[0]: {} for m in EXPORT_MEDIA.values()}}})
def export_route(svc: Svc, ctx: Viewer, body: ExportIn) -> Response:
    """The file itself; its marking is in the file and in the ``X-Clearsight-Marking`` header."""
    assert set(EXPORT_MEDIA) == set(FORMATS)
    with tempfile.TemporaryDirectory(prefix="clearsight-export-") as tmp:
        out = Path(tmp) / f"chart{EXPORT_SUFFIX[body.format]}"
        rep = export(svc.workspace.governance, ctx, body.format, out, recipient=body.recipient, ids=body.ids,
                     community=body.community, cache=svc.graphs)
        content = out.read_bytes()
    headers = {
        "Content-Disposition": f'attachment; filename="clearsight-chart{EXPORT_SUFFIX[body.format]}"',
        "X-Clearsight-Marking": rep.marking.encode("ascii", "replace").decode("ascii"),
        "X-Clearsight-Recipient": rep.recipient.encode("ascii", "replace").decode("ascii"),
    }
    return Response(content, media_type=EXPORT_MEDIA[body.format], headers=headers)


__all__ = ["router"]
