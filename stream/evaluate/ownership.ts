/**
 * Which services this stage-2 instance evaluates: those whose aggregates land in the partitions it
 * owns. Stage 1 keys aggregates by service and kafkajs's default partitioner (murmur2, as the Java
 * client) places them, so the same partitioner tells the owner of a service without any data.
 */
import { Partitioners, type PartitionMetadata } from "kafkajs";

export function createOwnership(topic: string) {
  const partitioner = Partitioners.DefaultPartitioner();
  let metadata: PartitionMetadata[] = [];
  let owned = new Set<number>();
  return {
    setPartitionCount(count: number) {
      metadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        offlineReplicas: [],
      }));
    },
    setOwned(partitions: number[]) {
      owned = new Set(partitions);
    },
    owns(service: string): boolean {
      if (metadata.length === 0) return false;
      return owned.has(
        partitioner({ topic, partitionMetadata: metadata, message: { key: service, value: null } }),
      );
    },
  };
}

export type Ownership = ReturnType<typeof createOwnership>;
