import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { greatCircleKm, type GeoPoint } from '@peakstock/domain';

const REFRESH_MS = 10_000;

/**
 * Region points and warehouse locations for allocation, cached briefly: master data changes rarely and the
 * reservation path must not read it on every order. An unknown code forces a refresh.
 */
@Injectable()
export class GeoService {
  private cache?: { regions: Map<string, GeoPoint>; warehouses: Map<string, string>; until: number };

  constructor(private readonly db: DataSource) {}

  private async load(force = false) {
    if (!force && this.cache && this.cache.until > Date.now()) return this.cache;
    const regions: { code: string; lat: number; lon: number }[] = await this.db.query(
      'SELECT code, lat, lon FROM regions',
    );
    const warehouses: { code: string; region: string }[] = await this.db.query(
      'SELECT code, region FROM warehouses',
    );
    this.cache = {
      regions: new Map(regions.map((r) => [r.code, { lat: Number(r.lat), lon: Number(r.lon) }])),
      warehouses: new Map(warehouses.map((w) => [w.code, w.region])),
      until: Date.now() + REFRESH_MS,
    };
    return this.cache;
  }

  async regionExists(code: string): Promise<boolean> {
    return (await this.load()).regions.has(code) || (await this.load(true)).regions.has(code);
  }

  /** Distance from a region's point to each warehouse's region point (km). */
  async distances(region: string, warehouses: string[]): Promise<Map<string, number>> {
    let geo = await this.load();
    if (!geo.regions.has(region) || warehouses.some((w) => !geo.warehouses.has(w)))
      geo = await this.load(true);
    const from = geo.regions.get(region);
    const out = new Map<string, number>();
    for (const w of warehouses) {
      const to = geo.regions.get(geo.warehouses.get(w) ?? '');
      out.set(w, from && to ? greatCircleKm(from, to) : Number.POSITIVE_INFINITY);
    }
    return out;
  }
}
