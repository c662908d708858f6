/** Every migration, in order. Listed explicitly so the same list works from TypeScript sources and from dist/. */
import { Foundation1763770000000 } from './1763770000000-Foundation';
import { Tracking1763780000000 } from './1763780000000-Tracking';
import { MasterData1763790000000 } from './1763790000000-MasterData';
import { Notifications1763800000000 } from './1763800000000-Notifications';
import { StockPool1763810000000 } from './1763810000000-StockPool';
import { DemandSignals1763820000000 } from './1763820000000-DemandSignals';
import { LiveSessions1763830000000 } from './1763830000000-LiveSessions';
import { Presale1763840000000 } from './1763840000000-Presale';
import { OversoldOrders1763850000000 } from './1763850000000-OversoldOrders';
import { ChannelWebhooks1763860000000 } from './1763860000000-ChannelWebhooks';
import { OrderReturns1763870000000 } from './1763870000000-OrderReturns';
import { Alerts1763880000000 } from './1763880000000-Alerts';
import { InboundArrivals1763885000000 } from './1763885000000-InboundArrivals';
import { Restocks1763890000000 } from './1763890000000-Restocks';
import { Transfers1763900000000 } from './1763900000000-Transfers';
import { KitBuilds1763910000000 } from './1763910000000-KitBuilds';
import { Couriers1763920000000 } from './1763920000000-Couriers';
import { WavePlans1763930000000 } from './1763930000000-WavePlans';
import { CourierBookings1763940000000 } from './1763940000000-CourierBookings';
import { SaleEventReports1763950000000 } from './1763950000000-SaleEventReports';

export const migrations = [
  Foundation1763770000000,
  Tracking1763780000000,
  MasterData1763790000000,
  Notifications1763800000000,
  StockPool1763810000000,
  DemandSignals1763820000000,
  LiveSessions1763830000000,
  Presale1763840000000,
  OversoldOrders1763850000000,
  ChannelWebhooks1763860000000,
  OrderReturns1763870000000,
  Alerts1763880000000,
  InboundArrivals1763885000000,
  Restocks1763890000000,
  Transfers1763900000000,
  KitBuilds1763910000000,
  Couriers1763920000000,
  WavePlans1763930000000,
  CourierBookings1763940000000,
  SaleEventReports1763950000000,
];
