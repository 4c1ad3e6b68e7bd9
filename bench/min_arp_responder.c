// The least a user-space ARP responder can do: one AF_PACKET socket, a blocking recv, and the
// reply sent at once. No event loop, no filter program, no ownership table. bench/
// l2_failover_bench.py runs it beside lbd's responder and the kernel to tell lbd's own cost
// from the cost of answering in user space at all (waking a process per request).
//
//   gcc -O2 -o min_arp_responder bench/min_arp_responder.c
//   ip netns exec HOST ./min_arp_responder eth0 192.0.2.200
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kEthHeader = 14, kArpBody = 28 };

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s IFACE IPV4\n", argv[0]);
    return 2;
  }
  struct in_addr vip;
  if (inet_pton(AF_INET, argv[2], &vip) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", argv[2]);
    return 2;
  }
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    perror("SIOCGIFHWADDR");
    return 1;
  }
  uint8_t mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  struct sockaddr_ll link;
  memset(&link, 0, sizeof link);
  link.sll_family = AF_PACKET;
  link.sll_protocol = htons(ETH_P_ARP);
  link.sll_ifindex = (int)if_nametoindex(argv[1]);
  if (link.sll_ifindex == 0 || bind(fd, (struct sockaddr*)&link, sizeof link) < 0) {
    perror("bind");
    return 1;
  }
  printf("answering ARP for %s on %s\n", argv[2], argv[1]);
  fflush(stdout);
  uint8_t frame[1514], reply[kEthHeader + kArpBody];
  for (;;) {
    struct sockaddr_ll from;
    socklen_t from_length = sizeof from;
    ssize_t n = recvfrom(fd, frame, sizeof frame, 0, (struct sockaddr*)&from, &from_length);
    if (n < kEthHeader + kArpBody || from.sll_pkttype == PACKET_OUTGOING) continue;
    const uint8_t* arp = frame + kEthHeader;
    // Ethernet/IPv4 request (op 1) whose target protocol address is the VIP.
    if (arp[0] != 0 || arp[1] != 1 || arp[2] != 0x08 || arp[3] != 0x00 || arp[4] != 6 ||
        arp[5] != 4 || arp[6] != 0 || arp[7] != 1 || memcmp(arp + 24, &vip, 4) != 0) {
      continue;
    }
    memcpy(reply, arp + 8, 6);  // to the asker
    memcpy(reply + 6, mac, 6);
    reply[12] = 0x08;
    reply[13] = 0x06;
    uint8_t* body = reply + kEthHeader;
    memcpy(body, arp, 6);  // htype, ptype, hlen, plen as asked
    body[6] = 0;
    body[7] = 2;  // reply
    memcpy(body + 8, mac, 6);
    memcpy(body + 14, &vip, 4);
    memcpy(body + 18, arp + 8, 10);  // the asker's MAC and IP
    struct sockaddr_ll to = link;
    to.sll_halen = 6;
    memcpy(to.sll_addr, arp + 8, 6);
    if (sendto(fd, reply, sizeof reply, 0, (struct sockaddr*)&to, sizeof to) < 0) perror("sendto");
  }
}
