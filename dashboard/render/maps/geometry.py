"""Township polygons: the schematic cells of the demo map (Voronoi cells of the township seats
clipped to a hand-drawn county outline — the UI calls such a map "示意图") and real boundaries
from a GeoJSON FeatureCollection. Pure: the files are read by ``data_access.config``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Voronoi  # ~0.2 s to import: paid when the server starts, not by the map's first visitor
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape

from dashboard.domain.errors import KeyedError

_PRECISION = 1e-5  # degrees (~1 m): coordinates are rounded to this grid


class BoundaryError(KeyedError, ValueError):
    """A boundary file that cannot be used (message keys ``err_boundaries_…``)."""


def county_outline(outline: Mapping[str, Any]) -> Polygon | MultiPolygon:
    """The county outline from its GeoJSON (the schematic demo outline, or a real one)."""
    geoms = [shape(f["geometry"]) for f in outline["features"]]
    return shapely.union_all(geoms)


def _geometry_dict(geom: Polygon | MultiPolygon) -> dict[str, Any]:
    """GeoJSON geometry with plain lists (not tuples)."""
    return json.loads(json.dumps(mapping(geom)))


def _clean(geom: shapely.Geometry) -> Polygon | MultiPolygon | None:
    """Keep the polygonal part of ``geom``, rounded to the coordinate grid; None if empty."""
    geom = shapely.set_precision(geom, _PRECISION)
    if geom.is_empty:
        return None
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon) and not g.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, Polygon | MultiPolygon) else None


def schematic_boundaries(townships: pd.DataFrame, outline_geojson: Mapping[str, Any]) -> dict[str, Any]:
    """Township polygons for the demo map: the Voronoi cells of the seats, clipped to the county.

    ``townships`` has columns code, name, lat, lon. A FeatureCollection (dict) with one feature
    per township that has coordinates; properties: code, name, schematic=True. Deterministic:
    the same seats always give the same polygons, whatever the row order.
    """
    seats = townships[["code", "name", "lat", "lon"]].copy()
    seats["code"] = seats["code"].astype(str)
    seats["lat"] = pd.to_numeric(seats["lat"], errors="coerce")
    seats["lon"] = pd.to_numeric(seats["lon"], errors="coerce")
    seats = seats.dropna(subset=["lat", "lon"]).drop_duplicates("code").sort_values("code").reset_index(drop=True)
    if seats.empty:
        return {"type": "FeatureCollection", "features": []}

    points = seats[["lon", "lat"]].to_numpy(dtype="float64")
    # Seats at the same spot would make Qhull fail: nudge repeats apart (deterministically).
    seen: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(points):
        key = (round(x, 6), round(y, 6))
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n:
            points[i] = (x + 1e-3 * n, y + 1e-3 * n)

    outline = county_outline(outline_geojson)
    region = outline
    if not all(outline.contains(Point(p)) for p in points):
        # A seat outside the drawn outline (another county's data): widen the clip region so
        # that every seat still lies in its own cell.
        region = shapely.union_all([outline, shapely.MultiPoint(points).convex_hull.buffer(0.05)])

    # Far-away dummy points bound every real cell.
    cx, cy = points.mean(axis=0)
    far = 50.0
    dummies = np.array([[cx - far, cy - far], [cx + far, cy - far], [cx + far, cy + far], [cx - far, cy + far]])
    vor = Voronoi(np.vstack([points, dummies]))

    features = []
    for i, row in seats.iterrows():
        region_index = vor.point_region[int(i)]
        vertices = vor.regions[region_index]
        if not vertices or -1 in vertices:  # cannot happen with the dummies; be safe
            continue
        cell = Polygon(vor.vertices[vertices]).convex_hull  # Voronoi cells are convex
        geom = _clean(cell.intersection(region))
        if geom is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": row["code"], "name": str(row["name"]), "schematic": True},
                "geometry": _geometry_dict(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _match_code(raw: object, codes: set[str]) -> str | None:
    """The township code a feature's property names: exact, or a 12-digit code ending in 000."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a code stored as a JSON number
        text = text[:-2]
    if text in codes:
        return text
    if len(text) == 12 and text.endswith("000") and text[:9] in codes:
        return text[:9]
    return None


def load_boundaries(
    townships: pd.DataFrame, data: object, source: str, outline_geojson: Mapping[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Township polygons and whether they are schematic.

    ``data`` is the parsed GeoJSON of a boundary file (``source`` names it in messages), or
    None for the schematic polygons. Its features carrying a code of ``townships`` in the
    property ``code`` or ``township_code`` are used (``code`` and ``name`` set from
    ``townships``, ``schematic`` False). Not a FeatureCollection, or no feature matching a
    township: :class:`BoundaryError` with a one-line message.
    """
    if data is None:
        return schematic_boundaries(townships, outline_geojson), True
    raw_features = data.get("features") if isinstance(data, Mapping) else None
    if not isinstance(raw_features, list):
        raise BoundaryError("err_boundaries_read", path=source, reason="not a GeoJSON FeatureCollection")

    names = dict(zip(townships["code"].astype(str), townships["name"].astype(str)))
    codes = set(names)
    features = []
    used: set[str] = set()
    for feature in raw_features:
        if not isinstance(feature, Mapping) or not isinstance(feature.get("geometry"), Mapping):
            continue
        props = feature.get("properties")
        props = props if isinstance(props, Mapping) else {}
        code = _match_code(props.get("code"), codes) or _match_code(props.get("township_code"), codes)
        if code is None or code in used:
            continue
        try:
            geom = shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.ShapelyError):
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        geom = _clean(geom) if not isinstance(geom, Polygon | MultiPolygon) else geom
        if geom is None or geom.is_empty:
            continue
        used.add(code)
        features.append(
            {
                "type": "Feature",
                "properties": {**dict(props), "code": code, "name": names[code], "schematic": False},
                "geometry": _geometry_dict(geom),
            }
        )
    if not features:
        raise BoundaryError("err_boundaries_match", path=source)
    features.sort(key=lambda f: str(f["properties"]["code"]))  # type: ignore[index]
    return {"type": "FeatureCollection", "features": features}, False


def label_point(geom: Polygon | MultiPolygon) -> tuple[float, float]:
    """Where a polygon's name goes: its centroid, or a point surely inside when the centroid
    falls outside (a concave or multi-part polygon: then the largest part's)."""
    if isinstance(geom, MultiPolygon):
        geom = max(geom.geoms, key=lambda g: g.area)
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return round(c.x, 5), round(c.y, 5)
