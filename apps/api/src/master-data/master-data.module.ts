import { Module } from '@nestjs/common';
import {
  ChannelsController,
  RegionsController,
  SaleEventsController,
  SkusController,
  TransitLanesController,
  WarehousesController,
} from './master-data.controller';
import { MasterDataLookup } from './master-data.lookup';
import { MasterDataService } from './master-data.service';

/**
 * Regions, warehouses, transit lanes, SKUs and kits, channels, sale event records. Relies on the globally
 * provided DataSource; reads business time from the clock row itself (no ClockService needed).
 */
@Module({
  controllers: [
    RegionsController,
    WarehousesController,
    TransitLanesController,
    SkusController,
    ChannelsController,
    SaleEventsController,
  ],
  providers: [MasterDataService, MasterDataLookup],
  exports: [MasterDataLookup, MasterDataService],
})
export class MasterDataModule {}
