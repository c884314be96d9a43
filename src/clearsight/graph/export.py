"""Exports of a chart: GraphML, Cytoscape JSON, i2 Analyst's Notebook (ANX), CSV and Excel.

Every export is a disclosure (LOG-3): it needs a named recipient (a blank one is refused
before anything is read), and writes one audit entry with the recipient, format, item ids
and marking. The product takes the highest marking of its inputs (ACC-4) and says so in
the file itself: a GraphML graph attribute, a Cytoscape ``data.marking``, the ANX chart
summary, a CSV column and the Excel sheet headers and document properties. Spreadsheet
cells go through :func:`clearsight.exports.safe_cell`, so no value is run as a formula.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearsight.errors import InvalidValue, NotFound
from clearsight.exports import safe_cell, write_safe_csv
from clearsight.governance.audit import encode_field
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.markings import Marking, combine
from clearsight.graph import analysis as an
from clearsight.graph.build import GraphCache, shared_cache
from clearsight.graph.service import describe
from clearsight.ontology import load_model
from clearsight.search.captions import captions
from clearsight.store import search_index as si

FORMATS = ("graphml", "cytoscape", "anx", "csv", "xlsx")

#: i2 icon type names for each schema (types the standard i2 icon set carries)
ANX_ICONS = {
    "Person": "Person", "Organisation": "Organisation", "Vehicle": "Car", "Phone": "Mobile Phone",
    "Account": "Email", "Address": "Address", "Crime": "Crime", "Incident": "Incident",
    "StopSearch": "Police", "ANPRRead": "Camera", "Call": "Telephone Call", "Custody": "Custody",
    "IntelligenceReport": "Document", "Case": "Case",
}  # fmt: skip


@dataclass(frozen=True)
class ExportReport:
    """What was written and disclosed."""

    path: Path
    format: str
    recipient: str
    nodes: int
    links: int
    marking: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "format": self.format, "recipient": self.recipient, "nodes": self.nodes,
                "links": self.links, "marking": self.marking}


def _link_label(schema: str, category: str | None) -> str:
    label = load_model().get(schema).label
    return f"{label} ({category})" if category else label


def _graphml(path: Path, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> None:
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    keys = [("marking", "graph"), ("schema", "node"), ("caption", "node"), ("members", "node"),
            ("schema", "edge"), ("label", "edge"), ("links", "edge"), ("marking", "edge")]
    for name, target in keys:
        ET.SubElement(root, "key", {"id": f"{target[0]}_{name}", "for": target, "attr.name": name, "attr.type": "string"})
    graph = ET.SubElement(root, "graph", {"id": "clearsight", "edgedefault": "undirected"})
    ET.SubElement(graph, "data", {"key": "g_marking"}).text = marking.label()
    for n in nodes:
        el = ET.SubElement(graph, "node", {"id": n["id"]})
        ET.SubElement(el, "data", {"key": "n_schema"}).text = n["schema"]
        ET.SubElement(el, "data", {"key": "n_caption"}).text = n["caption"]
        ET.SubElement(el, "data", {"key": "n_members"}).text = " ".join(n["members"])
    for i, e in enumerate(edges):
        el = ET.SubElement(graph, "edge", {"id": f"e{i}", "source": e["source"], "target": e["target"]})
        ET.SubElement(el, "data", {"key": "e_schema"}).text = " ".join(sorted({lk["schema"] for lk in e["links"]}))
        ET.SubElement(el, "data", {"key": "e_label"}).text = "; ".join(
            sorted({_link_label(lk["schema"], lk["category"]) for lk in e["links"]}))
        ET.SubElement(el, "data", {"key": "e_links"}).text = " ".join(lk["id"] for lk in e["links"])
        ET.SubElement(el, "data", {"key": "e_marking"}).text = "; ".join(sorted({lk["marking"] for lk in e["links"]}))
    _write_xml(path, root, marking)


def _write_xml(path: Path, root: ET.Element, marking: Marking) -> None:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    comment = f"<!-- {marking.label().replace('--', '- -')} -->"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{comment}\n{body}\n', encoding="utf-8")


def cytoscape_document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> dict[str, Any]:
    """A chart as a Cytoscape.js JSON document, its marking in ``data`` (ACC-4)."""
    return {
        "format_version": "1.0",
        "generated_by": "clearsight",
        "data": {"name": "Clearsight chart", "marking": marking.label(), "marking_detail": marking.as_dict()},
        "elements": {
            "nodes": [{"data": {"id": n["id"], "label": n["caption"], "schema": n["schema"], "members": n["members"]}}
                      for n in nodes],
            "edges": [
                {"data": {"id": f"e{i}", "source": e["source"], "target": e["target"],
                          "label": "; ".join(sorted({_link_label(lk["schema"], lk["category"]) for lk in e["links"]})),
                          "links": e["links"]}}
                for i, e in enumerate(edges)
            ],
        },
    }


def _cytoscape(path: Path, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> None:
    doc = cytoscape_document(nodes, edges, marking)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")


def _anx(path: Path, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> None:
    chart = ET.Element("Chart", {"Rigorous": "false", "IdReferenceLinking": "false"})
    summary = ET.SubElement(chart, "Summary")
    ET.SubElement(summary, "Title").text = f"Clearsight chart [{marking.classification}]"
    ET.SubElement(summary, "Subject").text = marking.label()
    ET.SubElement(summary, "Comments").text = f"Protective marking: {marking.label()}. Handle accordingly."
    types = ET.SubElement(chart, "EntityTypeCollection")
    for schema in sorted({n["schema"] for n in nodes}):
        ET.SubElement(types, "EntityType", {"Name": schema, "IconFile": ANX_ICONS.get(schema, "General")})
    ltypes = ET.SubElement(chart, "LinkTypeCollection")
    for schema in sorted({lk["schema"] for e in edges for lk in e["links"]}):
        ET.SubElement(ltypes, "LinkType", {"Name": schema, "Colour": "0"})
    items = ET.SubElement(chart, "ChartItemCollection")
    for n in nodes:
        item = ET.SubElement(items, "ChartItem", {"Label": n["caption"], "Description": n["schema"]})
        end = ET.SubElement(item, "End")
        entity = ET.SubElement(end, "Entity", {"EntityId": n["id"], "Identity": n["id"]})
        icon = ET.SubElement(entity, "Icon")
        ET.SubElement(icon, "IconStyle", {"Type": n["schema"]})
    for e in edges:
        for lk in e["links"]:
            end1, end2 = (e["source"], e["target"]) if lk["from"] == e["source"] else (e["target"], e["source"])
            item = ET.SubElement(items, "ChartItem", {
                "Label": _link_label(lk["schema"], lk["category"]),
                "Description": f"{lk['id']} ({lk['marking']})",
                **({"DateSet": "true", "DateTime": str(lk["valid_from"])[:10] + "T00:00:00"} if lk["valid_from"] else {}),
            })
            link = ET.SubElement(item, "Link", {"End1Id": end1, "End2Id": end2})
            ET.SubElement(link, "LinkStyle", {"Type": lk["schema"], "ArrowStyle": "ArrowOnHead", "MlStyle": "MultiplicityMultiple"})
    _write_xml(path, chart, marking)


def _rows(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> tuple[list[str], list[list[Any]]]:
    header = ["item", "id", "schema", "caption", "from", "to", "label", "category", "valid_from", "valid_to",
              "item_marking", "product_marking"]
    rows: list[list[Any]] = []
    for n in nodes:
        rows.append(["node", n["id"], n["schema"], n["caption"], "", "", "", "", n.get("date", ""), "", "", marking.label()])
    captions = {n["id"]: n["caption"] for n in nodes}
    for e in edges:
        for lk in e["links"]:
            to = e["target"] if lk["from"] == e["source"] else e["source"]
            rows.append(["link", lk["id"], lk["schema"], "", captions.get(lk["from"], lk["from"]), captions.get(to, to),
                         _link_label(lk["schema"], lk["category"]), lk["category"] or "", lk["valid_from"] or "",
                         lk["valid_to"] or "", lk["marking"], marking.label()])
    return header, rows


def _csv(path: Path, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> None:
    header, rows = _rows(nodes, edges, marking)
    write_safe_csv(path, header, rows)


def _xlsx(path: Path, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], marking: Marking) -> None:
    from openpyxl import Workbook

    header, rows = _rows(nodes, edges, marking)
    wb = Workbook()
    ws = wb.active
    ws.title = "Chart"
    wb.properties.title = f"Clearsight chart [{marking.classification}]"
    wb.properties.subject = marking.label()
    wb.properties.keywords = marking.label()
    ws.append([safe_cell(f"Protective marking: {marking.label()}")])
    ws.append([safe_cell(h) for h in header])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for row_cells in ws.iter_rows():
        for cell in row_cells:
            cell.data_type = "s"
    ws.oddHeader.center.text = marking.label()
    ws.oddFooter.center.text = marking.label()
    wb.save(path)


_WRITERS = {"graphml": _graphml, "cytoscape": _cytoscape, "anx": _anx, "csv": _csv, "xlsx": _xlsx}


def export(
    gov: Governance,
    ctx: Context,
    fmt: str,
    out: Path,
    *,
    recipient: str,
    ids: Sequence[str] | None = None,
    community: int | None = None,
    cache: GraphCache | None = None,
) -> ExportReport:
    """Write a chart of the chosen entities (and the links among them) for a recipient.

    Args:
        gov: governance of the workspace.
        ctx: who discloses, and why.
        fmt: one of :data:`FORMATS`.
        out: the file to write.
        recipient: the person, organisation or system receiving it (required, LOG-3).
        ids: entity ids (canonical or source) to chart.
        community: or the number of a community as listed by ``graph communities``.
        cache: graph cache to use.

    Raises:
        InvalidValue: blank recipient, unknown format, or no selection.
        NotFound: an id the discloser may not see or that does not exist.
    """
    if not recipient or not recipient.strip():
        raise InvalidValue("recipient", recipient, "an export needs a named recipient (LOG-3)")
    if fmt not in FORMATS:
        raise InvalidValue("format", fmt, f"must be one of {', '.join(FORMATS)}")
    if not ids and community is None:
        raise InvalidValue("selection", None, "choose the entities to export with ids or a community number")
    cache = cache if cache is not None else shared_cache(gov)
    with gov.operation(ctx, "disclosure", "graph.export", component="graph") as op:
        vg = cache.get(op)
        chosen: set[int] = set()
        extra: list[str] = []
        if ids:
            for raw in ids:
                canonical = op.run(si.canonical_of, entity_id=raw)
                if canonical is None:
                    raise NotFound(f"no entity {raw!r}")
                v = vg.vertex(canonical)
                if v is None:
                    extra.append(canonical)
                else:
                    chosen.add(v)
        if community is not None:
            groups = [grp for grp in an.communities(vg.graph) if len(grp) >= 3]
            if not 0 <= community < len(groups):
                raise NotFound(f"no community {community}")
            chosen.update(groups[community])
        g = vg.graph
        edges = {e: list(range(len(vg.links(e).ids))) for e in sorted({e for v in chosen for e in g.incident(v)})
                 if g.es[e].source in chosen and g.es[e].target in chosen}
        nodes, edge_rows, marking = describe(op, vg, sorted(chosen, key=vg.name), edges)
        if extra:
            more, _, more_mark = describe_isolated(op, extra)
            nodes.extend(more)
            marking = combine([marking, more_mark])
        out.parent.mkdir(parents=True, exist_ok=True)
        _WRITERS[fmt](out, nodes, edge_rows, marking)
        n_links = sum(len(e["links"]) for e in edge_rows)
        op.note(recipient=encode_field(recipient.strip()), format=fmt, marking=marking.label(), nodes=len(nodes),
                links=n_links, graph=vg.built)
    return ExportReport(out, fmt, recipient.strip(), len(nodes), n_links, marking.label())


def describe_isolated(op: Operation, canonical_ids: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Marking]:
    """Node records for chosen entities that have no visible links."""
    caption_of, members_of = captions(op, canonical_ids)
    nodes = []
    marks: list[Marking] = []
    for cid in canonical_ids:
        members = members_of.get(cid, [])
        marks.extend(op.marking(m.marking_id) for m in members)
        nodes.append({"id": cid, "schema": members[0].schema if members else "", "caption": caption_of.get(cid, ""),
                      "members": [m.entity_id for m in members]})
    op.record(canonical_ids)
    op.record(m for n in nodes for m in n["members"])
    return nodes, [], combine(marks) if marks else Marking()


__all__ = ["FORMATS", "ExportReport", "export"]
